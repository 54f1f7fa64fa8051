"""Benchmarks of the emulators against the performance targets they are built to.

What is measured (each module says how; figures are reported against targets and never fail a run):

1. `status_latency`: a status read (`GET v2/transfer/jobs/{id}`) of a million-file Relativity job,
   mid-transfer, in process: median, p95 and p99 over the in-process client (target: median ≤ 1 ms),
   with the job's creation time and the same read timed at lower layers down to the job state
   machine, to show where the time goes.
2. `memory`: in a fresh process, RSS before and after creating that job, after the reads and after
   streaming its million-row QC report once (target: peak ≤ 200 MiB).
3. `throughput`: status reads per second over uvicorn, the emulator against a bare Starlette app
   answering the same document on the same server settings, each in its own process and driven
   by a separate load process over 10 keep-alive connections (target: ≥ 0.85 of the bare app).
4. `startup`: from spawning `transfer-emulators serve --port 0 --clock manual` until
   `GET /_emulator/health` answers 200 (median of three), and the time of `POST /_emulator/reset`.
5. `globus_load` (`--only globus`): 200 concurrent Globus submissions of a 10,000-file directory
   over uvicorn (time until all are accepted, health-check latency meanwhile), and
   `GET /task_list?limit=10` with 10,000 tasks in the caller's history, in process.
6. `hub_pushes` (`--only hub`): the Amove hub pushing 100 running transfers each second to 200
   WebSocket subscribers over real sockets (pushes per second, server CPU per push), against a
   bare Starlette WebSocket broadcast of the same messages to the same subscribers.

Run them all with `make bench` (or `python -m benchmarks`); `make bench ARGS="--only latency memory"`
runs a subset. A table is printed and the figures are written to `benchmarks/results.json`. The
first four take about a minute on a two-core machine, the Globus load a few more; every server and
load process a run starts listens or connects on 127.0.0.1 only, runs for a bounded time and is
stopped before the run ends.
"""
