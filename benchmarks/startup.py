"""Benchmark 4: start-up of `transfer-emulators serve`, and the control API's reset.

Start-up is the time from spawning `transfer-emulators serve --port 0 --clock manual` until
`GET /_emulator/health` answers 200 (polled every few milliseconds), median of five, set against
a bare Starlette app with the same route on uvicorn, spawned alternately in the same run. Both start
as a user's second start does: Python's bytecode cache is written by a first, uncounted start of
each (the cache is turned off by PYTHONDONTWRITEBYTECODE in some environments, and an installed
package such as Starlette has its bytecode compiled at install time anyway). Reset is
`POST /_emulator/reset` on that server, on a fresh World and again after a files-1m job exists; the
same reset over the in-process client and a plain health read on the server are timed too, to tell
the reset's own cost from the cost of a round trip to the server. A service's routes are imported
when its prefix gets its first request, so the first request under each prefix of a fresh `serve`
(a path no route serves: a 404 in the service's format) is timed against the same request again.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx

from benchmarks.common import AUTH, BASE_URL, JOBS_PATH, Report, job_request, stop_process
from emulators.app import create_app
from emulators.testing.transport import InProcessTransport

NAME = "start-up and reset"
STARTS = 5
TARGET_SECONDS = 0.3
RESETS = 10
START_TIMEOUT = 30.0
POLL_SECONDS = 0.005
ANNOUNCEMENT = "transfer-emulators listening on "
# The baseline: the same health route on a bare Starlette app, on uvicorn, announced the same way.
BARE_SERVER = f"""
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def health(request):
    return JSONResponse({{"status": "ready"}})

config = uvicorn.Config(Starlette(routes=[Route("/_emulator/health", health)]), host="127.0.0.1", port=0,
                        log_level="warning", access_log=False)
server = uvicorn.Server(config)
import socket
sock = socket.socket()
sock.bind(("127.0.0.1", 0))
print("{ANNOUNCEMENT}http://127.0.0.1:%d" % sock.getsockname()[1], flush=True)
server.run(sockets=[sock])
"""


def console_script() -> str:
    """The installed `transfer-emulators` command next to this interpreter, else the one on PATH."""
    beside = Path(sys.executable).parent / "transfer-emulators"
    if beside.exists():
        return str(beside)
    found = shutil.which("transfer-emulators")
    if found is None:
        raise RuntimeError("the transfer-emulators command is not installed")
    return found


class Spawned:
    """One `serve` process: when it was spawned, the base URL it announced, and how to stop it."""

    def __init__(self, bare: bool = False) -> None:
        command = (
            [sys.executable, "-c", BARE_SERVER]
            if bare
            else [console_script(), "serve", "--port", "0", "--clock", "manual"]
        )
        environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=environment,
        )

    def base_url(self) -> str:
        stdout = self.process.stdout
        assert stdout is not None
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT)
        if not lines or not lines[0].startswith(ANNOUNCEMENT):
            raise RuntimeError(f"serve did not announce its address (exit code {self.process.poll()})")
        return lines[0][len(ANNOUNCEMENT) :].strip()

    def stop(self) -> None:
        stop_process(self.process)


def wait_healthy(client: httpx.Client, started: float) -> float:
    """Poll health until it answers 200; seconds since `started`."""
    deadline = started + START_TIMEOUT
    for _ in range(int(START_TIMEOUT / POLL_SECONDS)):
        if time.perf_counter() >= deadline:
            break
        try:
            if client.get("/_emulator/health").status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(POLL_SECONDS)
    raise RuntimeError("the emulator did not become healthy in time")


def time_calls(client: httpx.Client, method: str, path: str, count: int = RESETS) -> list[float]:
    """Seconds per call of one control-API resource."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        client.request(method, path).raise_for_status()
        samples.append(time.perf_counter() - started)
    return samples


def first_requests(client: httpx.Client) -> tuple[dict[str, float], list[float]]:
    """Seconds of the first request under each service prefix (the index lists them) to a path no
    route serves, and of the same requests again."""
    prefixes = [p for listed in client.get("/").json()["services"].values() for p in listed]
    first, again = {}, []
    for prefix in prefixes:
        first[prefix] = _time_unknown_path(client, prefix)
        again.append(_time_unknown_path(client, prefix))
    return first, again


def _time_unknown_path(client: httpx.Client, prefix: str) -> float:
    started = time.perf_counter()
    response = client.get(f"{prefix}/no-such-path")
    took = time.perf_counter() - started
    if not 400 <= response.status_code < 500:  # the service's own "no such path" (Amove's is a 499)
        raise RuntimeError(f"GET {prefix}/no-such-path answered {response.status_code}")
    return took


def in_process_resets() -> list[float]:
    """Resets over the in-process client: the reset's own cost plus the in-process transport."""
    with httpx.Client(transport=InProcessTransport(create_app(clock="manual")), base_url=BASE_URL) as client:
        return time_calls(client, "POST", "/_emulator/reset")


def _ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def time_start(bare: bool) -> float:
    """Seconds from spawning a server until its health route answers 200."""
    spawned = Spawned(bare)
    try:
        with httpx.Client(base_url=spawned.base_url(), timeout=60) as client:
            return wait_healthy(client, spawned.started)
    finally:
        spawned.stop()


def run() -> Report:
    report = Report(NAME)
    for bare in (False, True):  # write the bytecode caches; not counted
        time_start(bare)
    bare_starts: list[float] = []
    starts: list[float] = []
    resets: list[float] = []
    healths: list[float] = []
    clears: list[float] = []
    reset_with_job: list[float] = []
    first: dict[str, float] = {}
    again: list[float] = []
    for attempt in range(STARTS):
        spawned = Spawned()
        try:
            with httpx.Client(base_url=spawned.base_url(), timeout=60) as client:
                starts.append(wait_healthy(client, spawned.started))
                if attempt == 0:
                    first, again = first_requests(client)
                    resets = time_calls(client, "POST", "/_emulator/reset")
                    healths = time_calls(client, "GET", "/_emulator/health")
                    clears = time_calls(client, "DELETE", "/_emulator/requests")
                    now = datetime.fromisoformat(client.get("/_emulator/clock").json()["now"])
                    client.post(JOBS_PATH, headers=AUTH, json=job_request(now)).raise_for_status()
                    reset_with_job = time_calls(client, "POST", "/_emulator/reset", 1)
        finally:
            spawned.stop()
        bare_starts.append(time_start(bare=True))
    local = in_process_resets()
    report.add(
        "spawn until health answers 200: median",
        _ms(starts),
        "ms",
        target=f"≤ {TARGET_SECONDS * 1000:.0f} ms",
        met=statistics.median(starts) <= TARGET_SECONDS,
        note="runs: " + ", ".join(f"{s * 1000:.0f}" for s in starts) + " ms",
    )
    report.add(
        "the same for a bare Starlette app with that route: median",
        _ms(bare_starts),
        "ms",
        note="runs: " + ", ".join(f"{s * 1000:.0f}" for s in bare_starts) + " ms",
    )
    slowest = max(first, key=first.__getitem__)
    report.add(
        "first request under a service prefix after start (imports its routes): slowest",
        first[slowest] * 1000,
        "ms",
        note=f"{slowest}; the same requests again: median {_ms(again):.2f} ms",
    )
    report.add("POST /_emulator/reset on `serve`: median", _ms(resets), "ms", note=f"{RESETS} resets")
    report.add("POST /_emulator/reset on `serve`, a files-1m job existing", _ms(reset_with_job), "ms")
    report.add("POST /_emulator/reset, in-process client: median", _ms(local), "ms")
    report.add(
        "GET /_emulator/health on `serve`: median",
        _ms(healths),
        "ms",
        note=f"a 204 without a body (DELETE /_emulator/requests) takes {_ms(clears):.2f} ms",
    )
    report.details.update(
        start_seconds=starts,
        bare_start_seconds=bare_starts,
        serve_reset_seconds=resets,
        serve_reset_with_job_seconds=reset_with_job,
        in_process_reset_seconds=local,
        serve_health_seconds=healths,
        serve_empty_204_seconds=clears,
        first_request_seconds=first,
        again_request_seconds=again,
    )
    return report
