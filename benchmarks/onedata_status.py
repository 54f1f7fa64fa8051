"""Benchmark: a Onedata status read of a migration over 1,000,000 files, with its four histograms
(target: median ≤ 2 ms in process).

A space holds one generated set of a million files on one provider; the answering provider migrates
it to itself. The clock is moved into the replication, then the status is read through the in-process
client and, for comparison, built by the state machine alone.
"""

from __future__ import annotations

import time

import httpx

from benchmarks.common import Report, Summary
from emulators.app import create_app
from emulators.onedata.models import status_document
from emulators.onedata.schedule import effective
from emulators.onedata.store import OnedataStore
from emulators.testing.transport import InProcessTransport

NAME = "Onedata status read of a 1,000,000-file migration (in process)"
READS = 1_000
MOVING_READS = 200
TARGET_MS = 2.0
API = "/api/v3/oneprovider"
HERE, THERE = "5f8a2c4e9b1d3f7a6c0e2b4d8f1a3c5ech7d21", "9c3e1a7b5d2f4a6c8e0b1d3f5a7c9e2bch4b8e"
AUTH = {"X-Auth-Token": "bench-token"}
SCENARIO = f"""
version: 1
extends: default
clock: {{mode: manual, start: "2030-01-01T00:00:00Z"}}
services:
  onedata:
    spaces:
      - id: bench-space
        name: Bench
        supports: {{{HERE}: {{}}, {THERE}: {{}}}}
        tree: {{generate: [{{count: 1000000, prefix: big, per_directory: 1000}}]}}
        replicas: [{{path: big, providers: [{THERE}]}}]
    users:
      - {{id: bench-user, name: bench, tokens: [bench-token], spaces: {{bench-space: [all]}}}}
"""


def run() -> Report:
    report = Report(NAME)
    app = create_app(scenario_text=SCENARIO, clock="manual")
    client = httpx.Client(transport=InProcessTransport(app), base_url="http://emulator.test")
    try:
        file_id = client.post(f"{API}/lookup-file-id/Bench/big", headers=AUTH).json()["fileId"]
        body = {"type": "migration", "replicatingProviderId": HERE, "evictingProviderId": THERE}
        body |= {"dataSourceType": "file", "fileId": file_id}
        started = time.perf_counter()
        created = client.post(f"{API}/transfers", headers=AUTH, json=body)
        create_ms = (time.perf_counter() - started) * 1000
        created.raise_for_status()
        transfer_id = created.json()["transferId"]
        client.post("/_emulator/clock", json={"advance": 3600}).raise_for_status()
        samples = []
        for _ in range(READS):
            started = time.perf_counter()
            response = client.get(f"{API}/transfers/{transfer_id}", headers=AUTH)
            samples.append(time.perf_counter() - started)
            response.raise_for_status()
        document = response.json()
        moving = []  # a poller's reads, one virtual second apart: each asks for a new instant
        for _ in range(MOVING_READS):
            client.post("/_emulator/clock", json={"advance": 1}).raise_for_status()
            started = time.perf_counter()
            client.get(f"{API}/transfers/{transfer_id}", headers=AUTH).raise_for_status()
            moving.append(time.perf_counter() - started)
        store = app.state.host.world.store(OnedataStore)
        job = store.transfers[transfer_id]
        now = app.state.host.world.clock.now()
        machine = []
        for _ in range(READS):
            started = time.perf_counter()
            status_document(job, effective(store, job), now, True)
            machine.append(time.perf_counter() - started)
    finally:
        client.close()
    http, state = Summary.of_seconds(samples), Summary.of_seconds(machine)
    progress = f"{document['filesProcessed']:,} of {document['filesToProcess']:,} files processed"
    report.add("migration creation (POST /transfers)", create_ms, "ms")
    report.add(
        "GET /transfers/{tid}, in-process client: median",
        http.median,
        "ms",
        target=f"≤ {TARGET_MS:g} ms",
        met=http.median <= TARGET_MS,
        note=f"{document['transferStatus']}, {progress}",
    )
    report.add("GET /transfers/{tid}, in-process client: p95", http.p95, "ms")
    report.add(
        "the same, the clock 1 s further on before each read: median",
        Summary.of_seconds(moving).median,
        "ms",
        target=f"≤ {TARGET_MS:g} ms",
        met=Summary.of_seconds(moving).median <= TARGET_MS,
        note="a poller's reads: the slot bounds already passed are remembered, the newest is not",
    )
    report.add("status document alone (state machine and histograms): median", state.median, "ms")
    report.details["latency_ms"] = {"http": http.as_dict(), "state_machine": state.as_dict()}
    return report
