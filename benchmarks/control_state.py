"""Benchmark: `GET /_emulator/state` with 10,000 completed Relativity jobs, one page against all.

A dashboard refreshing the state pays this on every refresh: a page of 100 jobs must cost O(page),
whatever the number of jobs (before paging, the call rendered every job: 0.5 s for 10,000).
"""

from __future__ import annotations

import statistics
import time

import httpx

from benchmarks.common import AUTH, BASE_URL, JOBS_PATH, Report, job_request
from emulators.app import create_app
from emulators.testing.transport import InProcessTransport

NAME = "control API state"
JOBS = 10_000
PAGE = 100
TARGET_MS = 10.0


def run() -> Report:
    report = Report(NAME)
    app = create_app(clock="manual")
    with httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL) as client:
        now = app.host.world.clock.now()
        for _ in range(JOBS):
            client.post(JOBS_PATH, headers=AUTH, json=job_request(now, "small")).raise_for_status()
        client.post("/_emulator/clock", json={"advance": 3600}).raise_for_status()

        def timed(limit: int) -> float:
            began = time.perf_counter()
            client.get(
                "/_emulator/state", params={"service": "relativity", "limit": limit}
            ).raise_for_status()
            return (time.perf_counter() - began) * 1000

        page = statistics.median(timed(PAGE) for _ in range(20))
        whole = timed(JOBS)
    report.add(
        f"state, a page of {PAGE} of {JOBS:,} completed jobs",
        page,
        "ms",
        target=f"≤ {TARGET_MS:g} ms (O(page))",
        met=page <= TARGET_MS,
        note=f"all {JOBS:,} jobs in one page: {whole:.0f} ms",
    )
    return report
