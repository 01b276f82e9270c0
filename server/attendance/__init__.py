"""Attendance (läsnäolo) in day activity: check-in, check-out and absences, one record per client/unit/date."""
