"""The access log (lokitiedot): every read and write of client data, append-only and hash-chained."""
