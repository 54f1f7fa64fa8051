"""Memory after fill-and-reset cycles: what a CI worker that reuses one emulator for many tests holds.

In a fresh interpreter (`python -m benchmarks.reset_cycles --child`), one app on a manual clock goes
through `CYCLES` cycles of: fill (Relativity jobs over the 10,000-file container, Globus transfers
of a directory, Onedata replications, each read back, so the journal fills as well), move the clock
until everything has finished, then `POST /_emulator/reset`. RSS is read after every reset, once the
garbage collector has run. A leak shows as growth from the first cycle to the last; the target is
that the last is within `GROWTH_TARGET_MIB` of the first.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from typing import Any

import httpx

from benchmarks.common import AUTH, JOBS_PATH, Report, job_request, rss_kib, run_child
from emulators.app import create_app
from emulators.testing.transport import InProcessTransport

NAME = "memory over fill-and-reset cycles (fresh process)"
MODULE = "benchmarks.reset_cycles"
CYCLES = 10
GROWTH_TARGET_MIB = 8
RELATIVITY_JOBS = 200
GLOBUS_TASKS = 100
ONEDATA_TRANSFERS = 100
GLOBUS_AUTH = {"Authorization": "Bearer globus-dev-token"}
LAB, SCRATCH = "aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002"
ONEDATA = "/api/v3/oneprovider"
ONEDATA_AUTH = {"X-Auth-Token": "onedata-dev-token"}
KRAKOW = "5f8a2c4e9b1d3f7a6c0e2b4d8f1a3c5ech7d21"


def _ok(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: {response.status_code} {response.text}"
        )
    return response


def _fill(client: httpx.Client, now: Any) -> int:
    """Create and read back work in three services; returns how many requests were made."""
    requests = 0
    for _ in range(RELATIVITY_JOBS):
        body = job_request(now, "files-10k")
        _ok(client.post(JOBS_PATH, headers=AUTH, json=body))
        _ok(client.get(f"{JOBS_PATH}/{body['transferJobID']}", headers=AUTH))
        requests += 2
    for index in range(GLOBUS_TASKS):
        submission = _ok(client.get("/v0.10/submission_id", headers=GLOBUS_AUTH)).json()["value"]
        document = {
            "DATA_TYPE": "transfer",
            "submission_id": submission,
            "source_endpoint": LAB,
            "destination_endpoint": SCRATCH,
            "DATA": [
                {
                    "DATA_TYPE": "transfer_item",
                    "source_path": "/~/experiments/run-001/",
                    "destination_path": f"/~/cycle/{index}/",
                    "recursive": True,
                }
            ],
        }
        task = _ok(client.post("/v0.10/transfer", headers=GLOBUS_AUTH, json=document)).json()["task_id"]
        _ok(client.get(f"/v0.10/task/{task}", headers=GLOBUS_AUTH))
        requests += 3
    file_id = _ok(
        client.post(f"{ONEDATA}/lookup-file-id/My%20Space%201/images", headers=ONEDATA_AUTH)
    ).json()["fileId"]
    for _ in range(ONEDATA_TRANSFERS):
        body = {
            "type": "replication",
            "replicatingProviderId": KRAKOW,
            "dataSourceType": "file",
            "fileId": file_id,
        }
        transfer = _ok(client.post(f"{ONEDATA}/transfers", headers=ONEDATA_AUTH, json=body)).json()[
            "transferId"
        ]
        _ok(client.get(f"{ONEDATA}/transfers/{transfer}", headers=ONEDATA_AUTH))
        requests += 2
    return requests + 1


def child() -> dict[str, Any]:
    """The measured cycles; returns RSS after each reset and the time each cycle took."""
    app = create_app(clock="manual")
    after_reset: list[int] = []
    seconds: list[float] = []
    requests = 0
    with httpx.Client(transport=InProcessTransport(app), base_url="http://emulator.test") as client:
        for _ in range(CYCLES):
            started = time.perf_counter()
            requests = _fill(client, app.state.host.world.clock.now())
            _ok(client.post("/_emulator/clock", json={"advance": 86_400}))
            _ok(client.post("/_emulator/reset"))
            seconds.append(time.perf_counter() - started)
            gc.collect()
            after_reset.append(rss_kib())
    return {"after_reset_kib": after_reset, "cycle_seconds": seconds, "requests_per_cycle": requests}


def run() -> Report:
    report = Report(NAME)
    result = run_child(MODULE, ["--child"], timeout=600)
    first, last = (kib / 1024 for kib in (result["after_reset_kib"][0], result["after_reset_kib"][-1]))
    growth = last - first
    report.add("RSS after the first reset", round(first, 1), "MiB")
    report.add(
        f"RSS after the {CYCLES}th reset",
        round(last, 1),
        "MiB",
        target=f"≤ first + {GROWTH_TARGET_MIB} MiB",
        met=growth <= GROWTH_TARGET_MIB,
        note=(
            f"growth {growth:+.1f} MiB; each cycle: {RELATIVITY_JOBS} Relativity jobs, {GLOBUS_TASKS} Globus "
            f"tasks, {ONEDATA_TRANSFERS} Onedata transfers ({result['requests_per_cycle']} requests), "
            "a day of virtual time, a reset"
        ),
    )
    cycle = sorted(result["cycle_seconds"])[len(result["cycle_seconds"]) // 2]
    report.add("one fill-and-reset cycle, median", round(cycle, 2), "s")
    report.details["after_reset_mib"] = [round(kib / 1024, 1) for kib in result["after_reset_kib"]]
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", action="store_true", help="run the measured cycles and print JSON")
    if parser.parse_args().child:
        print(json.dumps(child()))
    else:
        for metric in run().metrics:
            print(metric)


if __name__ == "__main__":
    main()
