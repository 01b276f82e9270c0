"""Service-needs assessments (PTA): contact → assessment → decision → service start, RAI results, deadlines."""
