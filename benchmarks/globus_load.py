"""Benchmark 5: Globus under a heavy CI user: many big submissions at once, and a long task history.

- Concurrent submissions, over uvicorn: a server process (`benchmarks.serve emulator`, manual clock,
  so every task stays pending on the same destination) receives `SUBMISSIONS` transfers of the
  default Lab collection's 10,000-file `instrument` directory at once, each to its own directory of
  HPC Scratch. Measured: the time until every one is accepted, and the latency of the control API's
  health check, polled one call at a time meanwhile (a frozen event loop shows there first). The
  first check is sent as the 200 requests arrive and waits behind them all, on both sides of the
  socket, so the worst wait of the later ones is reported too: what submissions in progress cost.
  A run that has not finished within `BUDGET` seconds is reported as such, with what was accepted
  by then.
- `GET /task_list?limit=10` with `TASKS` tasks in the caller's history, in process: the tasks are
  submitted straight to the store (one small file each, so building them is quick), `BATCH` at a
  time with the clock moved on between batches (a history of finished tasks, as a CI run leaves),
  then the page is read over the in-process client.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from typing import Any

import httpx

from benchmarks.common import BASE_URL, Report, Summary
from benchmarks.throughput import ServerProcess
from emulators.app import create_app
from emulators.globus.models import parse_transfer
from emulators.globus.store import GlobusStore
from emulators.globus.submission import submit_transfer
from emulators.testing.transport import InProcessTransport

NAME = "Globus under load"
SUBMISSIONS = 200
TASKS = 10_000
READS = 50
BATCH, BATCH_SECONDS = 100, 60.0
BUDGET = 180.0
HEALTH_EVERY = 0.05
LAB = "aaaaaaaa-0000-4000-8000-000000000001"
SCRATCH = "bbbbbbbb-0000-4000-8000-000000000002"
AUTH = {"Authorization": "Bearer globus-dev-token"}


def _transfer(source: str, destination: str, recursive: bool) -> dict[str, Any]:
    item = {"DATA_TYPE": "transfer_item", "source_path": source, "destination_path": destination}
    return {
        "DATA_TYPE": "transfer",
        "submission_id": str(uuid.uuid4()),
        "source_endpoint": LAB,
        "destination_endpoint": SCRATCH,
        "DATA": [{**item, "recursive": recursive}],
    }


async def _submit_all(url: str) -> dict[str, Any]:
    """Fire the submissions at once and poll health until they are all answered (or time runs out)."""
    limits = httpx.Limits(max_connections=SUBMISSIONS + 1, max_keepalive_connections=SUBMISSIONS + 1)
    timeout = httpx.Timeout(BUDGET)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as client:
        started = time.perf_counter()
        accepted: list[float] = []

        async def submit(n: int) -> None:
            body = _transfer("/~/instrument/", f"/~/bench-{n:03d}/", True)
            response = await client.post("/v0.10/transfer", json=body, headers=AUTH)
            if response.status_code != 202:
                raise RuntimeError(f"submission answered {response.status_code}: {response.text[:200]}")
            accepted.append(time.perf_counter() - started)

        jobs = [asyncio.create_task(submit(n)) for n in range(SUBMISSIONS)]
        health: list[float] = []
        health_timeouts = 0
        while not all(job.done() for job in jobs) and time.perf_counter() - started < BUDGET:
            sent = time.perf_counter()
            try:
                remaining = max(BUDGET - (sent - started), 0.1)
                (await client.get("/_emulator/health", timeout=remaining)).raise_for_status()
                health.append(time.perf_counter() - sent)
            except httpx.TimeoutException:
                health_timeouts += 1
            await asyncio.sleep(HEALTH_EVERY)
        finished = all(job.done() for job in jobs)
        for job in jobs:
            job.cancel()
        errors = [job.exception() for job in jobs if job.done() and not job.cancelled() and job.exception()]
        if errors:
            raise RuntimeError(f"{len(errors)} submissions failed, first: {errors[0]!r}")
    return {
        "finished": finished,
        "accepted": len(accepted),
        "all_accepted_s": max(accepted) if finished and accepted else None,
        "elapsed_s": time.perf_counter() - started,
        "health_ms": Summary.of_seconds(health).as_dict() if len(health) >= 2 else None,
        "health_max_ms": max(health) * 1000 if health else None,
        "health_max_after_first_ms": max(health[1:]) * 1000 if len(health) >= 2 else None,
        "health_timeouts": health_timeouts,
    }


def concurrent_submissions(report: Report) -> None:
    with ServerProcess("emulator", "--lifetime", str(BUDGET + 120)) as server:
        result = asyncio.run(_submit_all(server.url))
    report.details["submissions"] = result
    name = f"{SUBMISSIONS} concurrent 10,000-file transfers: all accepted"
    if result["finished"]:
        report.add(name, result["all_accepted_s"], "s")
    else:
        report.add(name, None, "s", note=f"not within {BUDGET:g} s: {result['accepted']} accepted")
    health = result["health_ms"]
    note = f"{result['health_timeouts']} timed out" if result["health_timeouts"] else ""
    if health is not None:
        report.add("health check meanwhile: median", health["median"], "ms", note=note)
        report.add("health check meanwhile: max", result["health_max_ms"], "ms")
        report.add("health check meanwhile: max after the first", result["health_max_after_first_ms"], "ms")
    else:
        report.add("health check meanwhile: median", None, "ms", note=note or "fewer than two answers")


def task_list_page(report: Report) -> None:
    app = create_app(clock="manual")
    store = app.state.host.world.store(GlobusStore)
    identity = store.identities["researcher@example.org"]
    started = time.perf_counter()
    for n in range(TASKS):
        if n % BATCH == 0:
            store.world.clock.advance(BATCH_SECONDS)  # the earlier batch has finished: a history
        document = _transfer("/~/experiments/run-001/summary.csv", "/~/summary.csv", False)
        submit_transfer(store, parse_transfer(document), identity, store.world.catch_up())
    report.details["task_list_setup_s"] = round(time.perf_counter() - started, 3)
    with httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL) as client:
        samples = []
        for _ in range(READS):
            sent = time.perf_counter()
            response = client.get("/v0.10/task_list", params={"limit": 10}, headers=AUTH)
            samples.append(time.perf_counter() - sent)
            response.raise_for_status()
            if response.json()["total"] != TASKS:
                raise RuntimeError(f"task_list total is {response.json()['total']}, not {TASKS}")
    summary = Summary.of_seconds(samples)
    report.details["task_list_ms"] = summary.as_dict()
    report.add(
        f"task_list?limit=10 with {TASKS:,} tasks: median",
        summary.median,
        "ms",
        note=f"max {max(samples) * 1000:.1f} ms, mean {statistics.fmean(samples) * 1000:.1f} ms",
    )


def run() -> Report:
    report = Report(NAME)
    task_list_page(report)
    concurrent_submissions(report)
    return report
