"""Benchmark 1: how long a status read of a million-file job takes, in process (target: median ≤ 1 ms).

Layers are timed on the same job, mid-transfer, so the differences show where the time goes:
- the job state machine alone (`TransferJob.document(now)`),
- the whole ASGI app called directly (routing, journal, faults, auth, catch-up, JSON rendering),
  next to a bare Starlette app answering the same document the same way,
- an `httpx.AsyncClient` over httpx's ASGI transport on the same event loop (adds httpx),
- the in-process synchronous client (adds the hops to and from the transport's event loop thread).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from dataclasses import dataclass
from typing import Any

import httpx

from benchmarks.common import (
    AUTH,
    BASE_URL,
    JOBS_PATH,
    MID_TRANSFER_SECONDS,
    Report,
    Summary,
    job_request,
)
from benchmarks.serve import bare_app
from emulators.app import EmulatorApp, create_app
from emulators.core.console import Console
from emulators.core.faults import FaultRule
from emulators.relativity.jobs import TransferJob
from emulators.relativity.store import RelativityStore
from emulators.testing.transport import InProcessTransport

NAME = "status read latency (in process)"
ARMED_RULE_TARGET_US = 1.0
READS = 2_000
TARGET_MS = 1.0


@dataclass
class Bench:
    """An app with a manual clock, its in-process client and one files-1m job, mid-transfer."""

    app: EmulatorApp
    client: httpx.Client
    job: TransferJob
    create_seconds: float

    @property
    def path(self) -> str:
        return f"{JOBS_PATH}/{self.job.job_id}"

    def close(self) -> None:
        self.client.close()


def open_bench(advance: float = MID_TRANSFER_SECONDS) -> Bench:
    """Build the app, create the job through the API and move the clock `advance` seconds on."""
    app = create_app(clock="manual")
    client = httpx.Client(transport=InProcessTransport(app), base_url=BASE_URL)
    try:
        body = job_request(app.state.host.world.clock.now())
        started = time.perf_counter()
        created = client.post(JOBS_PATH, headers=AUTH, json=body)
        create_seconds = time.perf_counter() - started
        created.raise_for_status()
        client.post("/_emulator/clock", json={"advance": advance}).raise_for_status()
        job = app.state.host.world.store(RelativityStore).jobs[body["transferJobID"]]
    except BaseException:
        client.close()
        raise
    return Bench(app, client, job, create_seconds)


def time_http_reads(bench: Bench, reads: int = READS) -> list[float]:
    """Seconds per `GET .../jobs/{id}` over the in-process client."""
    samples = []
    for _ in range(reads):
        started = time.perf_counter()
        response = bench.client.get(bench.path, headers=AUTH)
        samples.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"status read answered {response.status_code}: {response.text}")
    return samples


def time_document(bench: Bench, reads: int = READS) -> list[float]:
    """Seconds per `job.document(now)`: the state machine without any HTTP."""
    now = bench.app.state.host.world.clock.now()
    samples = []
    for _ in range(reads):
        started = time.perf_counter()
        bench.job.document(now)
        samples.append(time.perf_counter() - started)
    return samples


def time_asgi(app: Any, path: str, headers: dict[str, str], reads: int = READS) -> list[float]:
    """Seconds per GET sent straight into an ASGI app (no client, no thread hop)."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"emulator.test"),
            *((k.lower().encode(), v.encode()) for k, v in headers.items()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("emulator.test", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def run() -> list[float]:
        samples = []
        for _ in range(reads):
            statuses: list[int] = []

            async def send(message: dict[str, Any], statuses: list[int] = statuses) -> None:
                if message["type"] == "http.response.start":
                    statuses.append(message["status"])

            started = time.perf_counter()
            await app(dict(scope), receive, send)
            samples.append(time.perf_counter() - started)
            if statuses != [200]:
                raise RuntimeError(f"GET {path} answered {statuses}")
        return samples

    return asyncio.run(run())


def armed_rule_cost(bench: Bench, rounds: int = 6) -> float:
    """Microseconds a never-matching fault rule (another service's) adds to a status read, as the
    median of alternating rounds with and without it."""
    faults = bench.app.state.host.world.faults
    rule = FaultRule.model_validate({"service": "globus", "method": "GET", "action": {"status": 503}})
    deltas = []
    for _ in range(rounds):
        without = Summary.of_seconds(time_asgi(bench.app, bench.path, AUTH, 1000)).median
        faults.add(rule.model_copy(update={"id": "never"}))
        with_rule = Summary.of_seconds(time_asgi(bench.app, bench.path, AUTH, 1000)).median
        faults.remove("never")
        deltas.append((with_rule - without) * 1000)
    return statistics.median(deltas)


def console_cost(bench: Bench, rounds: int = 6) -> float:
    """Microseconds the console's line (written to a null device) adds to a status read."""
    host = bench.app.state.host
    deltas = []
    with open(os.devnull, "w", encoding="utf-8") as null:
        for _ in range(rounds):
            without = Summary.of_seconds(time_asgi(bench.app, bench.path, AUTH, 1000)).median
            host.console = Console(null, colour=True)
            shown = Summary.of_seconds(time_asgi(bench.app, bench.path, AUTH, 1000)).median
            host.console = None
            deltas.append((shown - without) * 1000)
    return statistics.median(deltas)


def time_async_client(bench: Bench, reads: int = READS) -> list[float]:
    """Seconds per status read through `httpx.AsyncClient` and httpx's ASGI transport, on one loop."""

    async def run() -> list[float]:
        transport = httpx.ASGITransport(app=bench.app, client=("127.0.0.1", 50000))
        samples = []
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            for _ in range(reads):
                started = time.perf_counter()
                response = await client.get(bench.path, headers=AUTH)
                samples.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"status read answered {response.status_code}")
        return samples

    return asyncio.run(run())


def run() -> Report:
    report = Report(NAME)
    bench = open_bench()
    try:
        report.add("job creation, files-1m (POST)", bench.create_seconds * 1000, "ms")
        body = job_request(bench.app.state.host.world.clock.now())
        started = time.perf_counter()
        bench.client.post(JOBS_PATH, headers=AUTH, json=body).raise_for_status()
        report.add(
            "second job over the same container",
            (time.perf_counter() - started) * 1000,
            "ms",
            note="file sizes and byte offsets are computed again for each job",
        )
        document = bench.client.get(bench.path, headers=AUTH).json()
        stats = document["transferStatistics"]
        report.details["document"] = {
            "transferStatus": document["transferStatus"],
            "successfulFiles": stats["successfulFiles"],
            "totalFiles": document["enumerationStatistics"]["totalFiles"],
        }
        http = Summary.of_seconds(time_http_reads(bench))
        async_client = Summary.of_seconds(time_async_client(bench))
        asgi = Summary.of_seconds(time_asgi(bench.app, bench.path, AUTH))
        bare = Summary.of_seconds(time_asgi(bare_app(document, bench.path), bench.path, AUTH))
        armed = armed_rule_cost(bench)
        console = console_cost(bench)
        state = Summary.of_seconds(time_document(bench))
    finally:
        bench.close()
    report.add(
        "GET job, in-process client: median",
        http.median,
        "ms",
        target=f"≤ {TARGET_MS:g} ms",
        met=http.median <= TARGET_MS,
        note=f"{document['transferStatus']}, {stats['successfulFiles']:,} files copied",
    )
    report.add("GET job, in-process client: p95", http.p95, "ms")
    report.add("GET job, in-process client: p99", http.p99, "ms")
    report.add("GET job, httpx.AsyncClient on one loop: median", async_client.median, "ms")
    report.add("GET job, ASGI app called directly: median", asgi.median, "ms", note=f"p99 {asgi.p99:.3f} ms")
    report.add(
        "same document, bare Starlette route, called directly: median",
        bare.median,
        "ms",
        note=f"p99 {bare.p99:.3f} ms",
    )
    report.add("job.document(now) alone: median", state.median, "ms", note=f"p99 {state.p99:.4f} ms")
    report.add(
        "a fault rule armed that cannot match: extra time per status read",
        armed,
        "µs",
        target=f"≤ {ARMED_RULE_TARGET_US:g} µs",
        met=armed <= ARMED_RULE_TARGET_US,
        note="medians of alternating rounds, ASGI app called directly",
    )
    report.add(
        "the console's line per request (serve --console): extra time per status read",
        console,
        "µs",
        note="written to a null device; the throughput figures are measured with it off, as CI runs",
    )
    report.details.update(
        reads=READS,
        in_process_client_ms=http.as_dict(),
        async_client_ms=async_client.as_dict(),
        asgi_direct_ms=asgi.as_dict(),
        bare_asgi_direct_ms=bare.as_dict(),
        state_machine_ms=state.as_dict(),
    )
    return report
