"""Benchmark 3: status reads per second over uvicorn, against a bare Starlette app (target ≥ 0.9).

Server processes (`benchmarks.serve`): the emulator (journal on, as users run it, and off), with a
files-1m job created over HTTP and the clock moved to mid-transfer, and a bare Starlette app whose one
route answers that job's status document verbatim, each with its best settings (the same uvicorn config
and protocol class, access log off). Both get the same request, the job's path with the bearer token: the
server parses a request's line and headers itself, so a shorter request to the bare app would count the
request's own length against the emulator. Two identical processes of the emulator and two of the bare app
take part, and each round's ratio sets their sums against each other: processes that are the same can read
several percent apart (the emulator's more than the bare app's), and the report shows how far apart each
pair read. The load comes as users bring it: 32 keep-alive connections from a native load generator, `wrk`
(installed by `make bench` where the system has the package), in alternating rounds with a warm-up, the
machine's idle CPU recorded before each round. Each round reports req/s, p50 and p99 latency and the
server's CPU time per request. Without `wrk`, the project's own raw-socket load process
(`benchmarks.load`) drives the same shape; an httpx round follows as a cross-check either way.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import IO, Any

import httpx

from benchmarks.common import (
    AUTH,
    JOBS_PATH,
    MID_TRANSFER_SECONDS,
    Report,
    job_request,
    run_child,
    stop_process,
)
from benchmarks.load import busy_and_total_ticks, cpu_seconds
from benchmarks.serve import HOST

NAME = "throughput over uvicorn"
TARGET_RATIO = 0.9
CONNECTIONS = 32
WARMUP = 1.0
DURATION = 4.0
ROUNDS = 4
CROSS_CHECK_DURATION = 3.0
START_TIMEOUT = 30.0


class ServerProcess:
    """`python -m benchmarks.serve ...` in a child process; always stopped on leaving the block."""

    def __init__(self, *args: str) -> None:
        self.args = args
        self.port = 0
        self._stderr: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115  # closed by stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.serve", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def __enter__(self) -> ServerProcess:
        try:
            self.port = self._read_port()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _read_port(self) -> int:
        stdout = self.process.stdout
        assert stdout is not None
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        if not lines or not lines[0].startswith("PORT "):
            raise RuntimeError(f"server {self.args[0]} did not start: {self.stderr_tail()}")
        return int(lines[0].split()[1])

    def stderr_tail(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()[-2000:]

    def stop(self) -> None:
        stop_process(self.process)
        self._stderr.close()


@dataclass
class Target:
    """A URL under load and what each run against it measured."""

    label: str
    server: ServerProcess
    path: str
    headers: dict[str, str]
    runs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url + self.path

    def load(self, client: str, duration: float) -> dict[str, Any]:
        args = ["--url", self.url, "--client", client, "--connections", str(CONNECTIONS)]
        args += ["--warmup", str(WARMUP), "--duration", str(duration), "--server-pid", str(self.server.pid)]
        for name, value in self.headers.items():
            args += ["--header", f"{name}: {value}"]
        result = run_child("benchmarks.load", args, timeout=WARMUP + duration + 60)
        if result["failures"] or result["errors"]:
            raise RuntimeError(
                f"load on {self.label} failed: {result['failures']} ({result['errors']} errors)"
            )
        self.runs.append(result)
        return result

    def of(self, client: str) -> list[dict[str, Any]]:
        return [r for r in self.runs if r["client"] == client]

    def rps(self, client: str) -> list[float]:
        return [r["rps"] for r in self.of(client)]


def wrk_run(target: Target, duration: float) -> dict[str, Any]:
    """One `wrk` run against `target` (a short warm-up first): req/s, p50 and p99 in ms, and the
    server's CPU seconds per request, measured from its process while the run lasted."""
    wrk = shutil.which("wrk")
    assert wrk is not None
    command = [wrk, "-t1", f"-c{CONNECTIONS}", "--latency"]
    for name, value in target.headers.items():
        command += ["-H", f"{name}: {value}"]
    subprocess.run([*command, f"-d{int(WARMUP)}s", target.url], capture_output=True, check=False, timeout=60)
    idle = machine_busy(0.3)
    before = cpu_seconds(target.server.pid)
    done = subprocess.run(
        [*command, f"-d{int(duration)}s", target.url], capture_output=True, text=True, timeout=duration + 60
    )
    server_cpu = cpu_seconds(target.server.pid) - before
    result: dict[str, Any] = {"client": "wrk", "busy_before": idle}
    for line in done.stdout.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            result["rps"] = float(words[1])
        elif line.strip().startswith(("50%", "99%")) and len(words) == 2:
            result["p" + words[0].rstrip("%")] = _milliseconds(words[1])
        elif "requests in" in line:
            result["requests"] = int(words[0])
        elif "Non-2xx" in line or "Socket errors" in line:
            raise RuntimeError(f"wrk on {target.label}: {line.strip()}")
    if "rps" not in result:
        raise RuntimeError(
            f"wrk on {target.label} printed no rate: {done.stdout[-500:]} {done.stderr[-500:]}"
        )
    result["server_us_per_request"] = server_cpu / max(1, result.get("requests", 1)) * 1e6
    target.runs.append(result)
    return result


def _milliseconds(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    return float(text)


def _prepare_emulator(server: ServerProcess) -> tuple[str, httpx.Response]:
    """Create the files-1m job over HTTP, move to mid-transfer; its path and status response."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        now = datetime.fromisoformat(client.get("/_emulator/clock").json()["now"])
        body = job_request(now)
        client.post(JOBS_PATH, headers=AUTH, json=body).raise_for_status()
        client.post("/_emulator/clock", json={"advance": MID_TRANSFER_SECONDS}).raise_for_status()
        path = f"{JOBS_PATH}/{body['transferJobID']}"
        status = client.get(path, headers=AUTH)
        status.raise_for_status()
        if status.json()["transferStatus"] != "InProgress":
            raise RuntimeError(f"the job is not mid-transfer: {status.text}")
        return path, status


def _per_round(targets: list[Target], client: str) -> list[float]:
    """Each round's req/s summed over `targets` (one run of each per round)."""
    return [sum(run["rps"] for run in runs) for runs in zip(*(t.of(client) for t in targets), strict=True)]


def _note(results: list[dict[str, Any]]) -> str:
    rps = ", ".join(f"{r['rps']:.0f}" for r in results)
    if results and results[0]["client"] == "wrk":
        p50 = statistics.median(r["p50"] for r in results)
        p99 = statistics.median(r["p99"] for r in results)
        cpu = statistics.median(r["server_us_per_request"] for r in results)
        return f"rounds {rps}; p50 {p50:.2f} ms, p99 {p99:.2f} ms; server {cpu:.1f} µs CPU/request"
    cpu = statistics.median(r["server_cpu"] for r in results)
    return f"rounds {rps}; server process {cpu:.2f} CPU"


def machine_busy(seconds: float = 1.0) -> float:
    """Cores busy on this machine over `seconds`, before any load: other work skews the figures."""
    busy, total = busy_and_total_ticks()
    time.sleep(seconds)
    busy_after, total_after = busy_and_total_ticks()
    return (busy_after - busy) / max(1, total_after - total) * (os.cpu_count() or 1)


def run() -> Report:
    report = Report(NAME)
    with contextlib.ExitStack() as servers:
        emulators = []
        for label in ("emulator A", "emulator B"):
            server = servers.enter_context(ServerProcess("emulator"))
            path, status = _prepare_emulator(server)
            emulators.append(Target(label, server, path, AUTH))
        quiet_server = servers.enter_context(ServerProcess("emulator", "--no-journal"))
        quiet = Target("emulator, journal off", quiet_server, _prepare_emulator(quiet_server)[0], AUTH)
        bares = [
            Target(
                f"bare {name}",
                servers.enter_context(ServerProcess("bare", "--document", status.text, "--path", path)),
                path,
                AUTH,
            )
            for name in "AB"
        ]
        with httpx.Client(base_url=bares[0].server.url) as client:
            bare_size = len(client.get(path, headers=AUTH).content)
        idle = machine_busy()
        generator = "wrk" if shutil.which("wrk") else "raw"
        for _ in range(ROUNDS):
            for target in (emulators[0], bares[0], quiet, emulators[1], bares[1]):
                if generator == "wrk":
                    wrk_run(target, DURATION)
                else:
                    target.load("raw", DURATION)
        for target in (emulators[0], bares[0]):
            target.load("httpx", CROSS_CHECK_DURATION)

    emulator_rounds, bare_rounds = _per_round(emulators, generator), _per_round(bares, generator)
    ratios = [e / b for e, b in zip(emulator_rounds, bare_rounds, strict=True)]
    ratio = statistics.median(ratios)
    emulator_runs = [run for target in emulators for run in target.of(generator)]
    bare_runs = [run for target in bares for run in target.of(generator)]
    report.add(
        "emulator GET job: median",
        round(statistics.median(run["rps"] for run in emulator_runs)),
        "req/s",
        note=_note(emulator_runs),
    )
    report.add(
        "bare Starlette JSON route: median",
        round(statistics.median(run["rps"] for run in bare_runs)),
        "req/s",
        note=_note(bare_runs),
    )
    report.add(
        "ratio emulator / bare: median of rounds",
        round(ratio, 3),
        "x",
        target=f"≥ {TARGET_RATIO}",
        met=ratio >= TARGET_RATIO,
        note=(
            f"rounds {', '.join(f'{r:.2f}' for r in ratios)}; two processes of each, {ROUNDS} alternating "
            f"rounds of {DURATION:g} s over {CONNECTIONS} keep-alive connections by {generator}; "
            f"{idle:.1f} cores busy before the load"
        ),
    )
    quiet_ratios = [
        q["rps"] / (b / len(bares)) for q, b in zip(quiet.of(generator), bare_rounds, strict=True)
    ]
    report.add(
        "ratio with the journal off (journal: {size: 0}) / bare",
        round(statistics.median(quiet_ratios), 3),
        "x",
        note=f"rounds {', '.join(f'{r:.2f}' for r in quiet_ratios)}; what recording every request costs",
    )
    for kind, pair in (("emulator", emulators), ("bare Starlette", bares)):
        spread = [b["rps"] / a["rps"] for a, b in zip(*(t.of(generator) for t in pair), strict=True)]
        report.add(
            f"two identical {kind} processes, B / A: median of rounds",
            round(statistics.median(spread), 3),
            "x",
            note=f"rounds {', '.join(f'{r:.2f}' for r in spread)}; how far apart one pair of processes reads",
        )
    cross = statistics.median(emulators[0].rps("httpx")) / statistics.median(bares[0].rps("httpx"))
    load_cpu = bares[0].runs[-1]["load_cpu"]
    report.add(
        "cross-check, httpx client: emulator / bare",
        round(cross, 3),
        "x",
        note=(
            f"{emulators[0].rps('httpx')[0]:.0f} vs {bares[0].rps('httpx')[0]:.0f} req/s; "
            f"load process {load_cpu:.2f} CPU" + (" (the client is the limit)" if load_cpu >= 0.8 else "")
        ),
    )
    report.details.update(
        document_bytes={"emulator": len(status.content), "bare": bare_size},
        machine_busy_before=idle,
        round_ratios=ratios,
        emulator_runs=emulator_runs,
        quiet_runs=quiet.of(generator),
        bare_runs=bare_runs,
        load_generator=generator,
    )
    return report
