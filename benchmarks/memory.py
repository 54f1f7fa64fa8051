"""Benchmark 2: memory of a million-file job and its QC report (target: peak RSS ≤ 200 MiB).

The work runs in a fresh interpreter (`python -m benchmarks.memory --child`), so the figures are not
inflated by the other benchmarks: the app is built, a files-1m job is created and read like in
benchmark 1, then the clock moves on until the QC report is ready and the report is read twice: once
straight from the report generator, once streamed over the in-process client. After each step the
child reads VmRSS (now), VmHWM (peak of this process so far) and ru_maxrss. The peak compared with
the target is VmHWM: on Linux a spawned child's ru_maxrss starts at its parent's RSS at the moment
of spawning, so it reports the benchmark runner's size, not the emulator's, when that is larger.
A second child (`--socket`) serves a fresh app on a real socket and times the report's first plain
GET, generation included, against the target of 3 s.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime
from typing import Any

import httpx

from benchmarks.common import (
    AUTH,
    JOBS_PATH,
    MIB,
    Report,
    hwm_kib,
    job_request,
    maxrss_kib,
    rss_kib,
    run_child,
)
from benchmarks.status_latency import open_bench, time_http_reads
from emulators.relativity import qc

NAME = "memory (fresh process)"
MODULE = "benchmarks.memory"
TARGET_MIB = 200
CLOCK_STEP = 3_600.0
MAX_STEPS = 12
SOCKET_TARGET_SECONDS = 3


STEPS = {
    "imported": "interpreter with the emulator imported",
    "sdk": "azure-storage-blob imported (signs the SAS)",
    "created": "app built, files-1m job created",
    "read": "after 2,000 status reads",
    "generated": "QC report generated in process (no HTTP)",
    "streamed": "QC report streamed over the in-process client",
}


def _reading() -> dict[str, int]:
    return {"rss_kib": rss_kib(), "peak_kib": hwm_kib(), "maxrss_kib": maxrss_kib()}


def child() -> dict[str, Any]:
    """The measured work; returns the readings (keyed as in STEPS) and what was counted."""
    readings = {"imported": _reading()}
    import azure.storage.blob  # noqa: F401  # signs the job's SAS; measured apart from the emulator

    readings["sdk"] = _reading()
    bench = open_bench()
    try:
        readings["created"] = _reading()
        time_http_reads(bench)
        readings["read"] = _reading()
        qc_path = f"{bench.path}/qc"
        for _ in range(MAX_STEPS):
            answer = bench.client.get(qc_path, headers=AUTH)
            if answer.status_code != 404:
                break
            bench.client.post("/_emulator/clock", json={"advance": CLOCK_STEP}).raise_for_status()
        answer.raise_for_status()
        url = httpx.URL(answer.json()["sasUrl"])

        started = time.perf_counter()
        generated = sum(chunk.count(b"\n") for chunk in qc.report_chunks(bench.job)) - 1
        generate_seconds = time.perf_counter() - started
        readings["generated"] = _reading()

        started = time.perf_counter()
        streamed = received = 0
        with bench.client.stream("GET", url.raw_path.decode("ascii")) as response:
            response.raise_for_status()
            for data in response.iter_bytes():
                streamed += data.count(b"\n")
                received += len(data)
        stream_seconds = time.perf_counter() - started
        readings["streamed"] = _reading()
    finally:
        bench.close()
    return {
        "readings": readings,
        "qc_rows_generated": generated,
        "qc_rows_streamed": streamed - 1,
        "qc_bytes": received,
        "qc_generate_seconds": generate_seconds,
        "qc_stream_seconds": stream_seconds,
        "job_create_seconds": bench.create_seconds,
    }


def run() -> Report:
    report = Report(NAME)
    result = run_child(MODULE, ["--child"], timeout=150)
    mib = {key: {k: v / 1024 for k, v in r.items()} for key, r in result["readings"].items()}
    for key, label in STEPS.items():
        report.add(
            f"RSS: {label}",
            round(mib[key]["rss_kib"], 1),
            "MiB",
            note=f"VmHWM (peak so far) {mib[key]['peak_kib']:.1f} MiB",
        )
    before_qc = mib["read"]["peak_kib"]
    report.add(
        "peak RSS, job + reads (before the QC report)",
        round(before_qc, 1),
        "MiB",
        target=f"≤ {TARGET_MIB} MiB",
        met=before_qc <= TARGET_MIB,
        note=f"job creation added {mib['created']['peak_kib'] - mib['sdk']['peak_kib']:.1f} MiB to the peak",
    )
    peak = mib["streamed"]["peak_kib"]
    report.add(
        "peak RSS, after streaming the QC report",
        round(peak, 1),
        "MiB",
        target=f"≤ {TARGET_MIB} MiB",
        met=peak <= TARGET_MIB,
        note=(
            f"{result['qc_rows_streamed']:,} rows, {result['qc_bytes'] / MIB:.1f} MiB of CSV; "
            f"ru_maxrss {mib['streamed']['maxrss_kib']:.1f} MiB"
        ),
    )
    sdk = mib["sdk"]["rss_kib"] - mib["imported"]["rss_kib"]
    report.add(
        "peak RSS, less the client-side SDK",
        round(peak - sdk, 1),
        "MiB",
        note=f"azure-storage-blob accounts for {sdk:.1f} MiB of the figure above",
    )
    report.add(
        "QC report streamed over the in-process client",
        round(result["qc_rows_streamed"] / result["qc_stream_seconds"]),
        "rows/s",
        note=f"{result['qc_stream_seconds']:.2f} s",
    )
    report.add(
        "QC report generated in process (no HTTP)",
        round(result["qc_rows_generated"] / result["qc_generate_seconds"]),
        "rows/s",
        note=f"{result['qc_generate_seconds']:.2f} s",
    )
    socket = run_child(MODULE, ["--socket"], timeout=300)
    report.add(
        "QC report of 1,000,000 rows, first plain GET over a real socket",
        round(socket["seconds"], 2),
        "s",
        target=f"≤ {SOCKET_TARGET_SECONDS} s",
        met=socket["seconds"] <= SOCKET_TARGET_SECONDS,
        note=f"{socket['rows']:,} rows, {socket['bytes'] / MIB:.1f} MiB, generated once during the request",
    )
    report.details.update(result, socket=socket)
    return report


def over_a_socket() -> dict[str, Any]:
    """A fresh app on a real socket: a files-1m job run to its report, then the report's first
    plain GET streamed by httpx (its one generation included), timed from request to last byte."""
    from emulators.app import create_app
    from emulators.server import ThreadedServer

    app = create_app(clock="manual")
    server = ThreadedServer(app).start()
    app.host.public_url = server.url
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            now = datetime.fromisoformat(client.get("/_emulator/clock").json()["now"])
            body = job_request(now)
            client.post(JOBS_PATH, headers=AUTH, json=body).raise_for_status()
            qc_path = f"{JOBS_PATH}/{body['transferJobID']}/qc"
            for _ in range(MAX_STEPS):
                client.post("/_emulator/clock", json={"advance": CLOCK_STEP}).raise_for_status()
                answer = client.get(qc_path, headers=AUTH)
                if answer.status_code != 404:
                    break
            answer.raise_for_status()
            started = time.perf_counter()
            rows = received = 0
            with client.stream("GET", answer.json()["sasUrl"]) as response:
                response.raise_for_status()
                for data in response.iter_bytes():
                    rows += data.count(b"\n")
                    received += len(data)
            seconds = time.perf_counter() - started
    finally:
        server.stop()
    return {"rows": rows - 1, "bytes": received, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help="do the measured work and print JSON")
    parser.add_argument("--socket", action="store_true", help="the QC report over a real socket")
    args = parser.parse_args()
    if args.socket:
        print(json.dumps(over_a_socket()))
    elif args.child:
        print(json.dumps(child()))
    else:
        report = run()
        print(json.dumps(report.as_dict(), indent=2))


if __name__ == "__main__":
    main()
