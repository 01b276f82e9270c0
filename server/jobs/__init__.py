"""Background jobs: the outbox, the registry of job bodies, and the two runners of the same jobs.

- `outbox.add(session, job, key, args)` asks for follow-up work inside the transaction of its cause.
- `registry.job(...)` declares a job body next to its domain's code, with its arguments, retries and
  schedule.
- `runner.run_row` runs one outbox row: the same function under arq (`kaari worker`, `worker.py`) and in
  the single-node server's event loop (`inprocess.py`); `dispatcher.py` turns due rows into runs.

`docs/jobs.md` explains what runs when and why a change's follow-up is done exactly once.
"""
