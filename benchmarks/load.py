"""A bounded load generator for the throughput benchmark, run in its own process.

    python -m benchmarks.load --url http://127.0.0.1:PORT/path [--header 'Name: value'] \\
        [--client raw|httpx] [--connections 10] [--warmup 1] [--duration 5] [--server-pid PID]

`--connections` keep-alive connections each send one GET after another, for the warm-up and then
the measured window; each stops at the end of the window or after `MAX_REQUESTS` requests, whichever
comes first. Two clients:
- `httpx`: one thread and one `httpx.Client` per connection, what a Python test suite would use;
  on a small machine it runs out of CPU before a uvicorn server does;
- `raw`: asyncio streams writing a prepared HTTP/1.1 request and reading the response by its
  Content-Length, cheap enough that the server is the limit.
Only loopback URLs are accepted. Prints one JSON document: requests completed in the window, req/s,
latency percentiles and, given the server's pid, the CPU the server used in the window (1.0 = one
core busy) and the CPU the load generator used, which tell which side was the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from benchmarks.common import Summary

MAX_REQUESTS = 200_000  # per connection
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass
class Worker:
    """One connection's record: how long each request that fell inside the window took."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    failure: str | None = None


def busy_and_total_ticks() -> tuple[int, int]:
    """Machine-wide busy and total CPU ticks so far (all cores; busy includes interrupts and steal)."""
    with open("/proc/stat", encoding="ascii") as stat:
        ticks = [int(x) for x in stat.readline().split()[1:]]
    idle = ticks[3] + ticks[4]
    return sum(ticks[:8]) - idle, sum(ticks[:8])


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds a process has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _drive(url: str, headers: dict[str, str], window_start: float, window_end: float, worker: Worker) -> None:
    try:
        with httpx.Client(headers=headers, limits=httpx.Limits(max_connections=1), timeout=10) as client:
            for _ in range(MAX_REQUESTS):
                started = time.perf_counter()
                if started >= window_end:
                    break
                response = client.get(url)
                ended = time.perf_counter()
                if started >= window_start and ended <= window_end:
                    worker.latencies.append(ended - started)
                    if response.status_code != 200:
                        worker.errors += 1
    except Exception as exc:  # reported, not raised: the parent decides what a failure means
        worker.failure = f"{type(exc).__name__}: {exc}"


async def _drive_raw(
    url: httpx.URL, headers: dict[str, str], window_start: float, window_end: float, worker: Worker
) -> None:
    lines = [f"GET {url.raw_path.decode('ascii')} HTTP/1.1", f"Host: {url.netloc.decode('ascii')}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    try:
        reader, writer = await asyncio.open_connection(url.host, url.port)
    except OSError as exc:
        worker.failure = f"{type(exc).__name__}: {exc}"
        return
    try:
        for _ in range(MAX_REQUESTS):
            started = time.perf_counter()
            if started >= window_end:
                break
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            status, length = _parse_head(head)
            await asyncio.wait_for(reader.readexactly(length), 10)
            ended = time.perf_counter()
            if started >= window_start and ended <= window_end:
                worker.latencies.append(ended - started)
                if status != 200:
                    worker.errors += 1
    except (OSError, ValueError, asyncio.IncompleteReadError, TimeoutError) as exc:
        worker.failure = f"{type(exc).__name__}: {exc}"
    finally:
        writer.close()


def _parse_head(head: bytes) -> tuple[int, int]:
    """Status and Content-Length of a response head (a body without a length is refused)."""
    status_line, *fields = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    for line in fields:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            return status, int(value)
    raise ValueError("the response has no Content-Length")


def _start_raw(
    url: str, headers: dict[str, str], window_start: float, window_end: float, workers: list[Worker]
) -> threading.Thread:
    async def run_all() -> None:
        parsed = httpx.URL(url)
        await asyncio.gather(*(_drive_raw(parsed, headers, window_start, window_end, w) for w in workers))

    thread = threading.Thread(target=asyncio.run, args=(run_all(),), daemon=True)
    thread.start()
    return thread


def run_load(
    url: str,
    headers: dict[str, str],
    client: str,
    connections: int,
    warmup: float,
    duration: float,
    server_pid: int | None,
) -> dict[str, Any]:
    """Drive `url` and return what happened in the measured window."""
    if httpx.URL(url).host not in LOOPBACK:
        raise ValueError("the load generator only targets loopback addresses")
    now = time.perf_counter()
    window_start, window_end = now + warmup, now + warmup + duration
    workers = [Worker() for _ in range(connections)]
    if client == "raw":
        threads = [_start_raw(url, headers, window_start, window_end, workers)]
    else:
        threads = [
            threading.Thread(target=_drive, args=(url, headers, window_start, window_end, w), daemon=True)
            for w in workers
        ]
        for thread in threads:
            thread.start()
    time.sleep(max(0.0, window_start - time.perf_counter()))
    server_cpu = cpu_seconds(server_pid) if server_pid else None
    client_cpu = time.process_time()
    busy, total = busy_and_total_ticks()
    time.sleep(max(0.0, window_end - time.perf_counter()))
    busy_after, total_after = busy_and_total_ticks()
    if server_pid and server_cpu is not None:
        server_cpu = cpu_seconds(server_pid) - server_cpu
    client_cpu = time.process_time() - client_cpu
    for thread in threads:
        thread.join(timeout=15)
    latencies = [x for w in workers for x in w.latencies]
    failures = [w.failure for w in workers if w.failure]
    return {
        "client": client,
        "connections": connections,
        "duration": duration,
        "requests": len(latencies),
        "errors": sum(w.errors for w in workers),
        "failures": failures,
        "rps": len(latencies) / duration,
        "latency_ms": Summary.of_seconds(latencies).as_dict() if len(latencies) > 1 else None,
        "server_cpu": server_cpu / duration if server_cpu is not None else None,
        "load_cpu": client_cpu / duration,
        "machine_busy_cores": (busy_after - busy) / max(1, total_after - total) * (os.cpu_count() or 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--server-pid", type=int)
    args = parser.parse_args()
    headers = dict(h.split(":", 1) for h in args.header)
    headers = {k.strip(): v.strip() for k, v in headers.items()}
    result = run_load(
        args.url, headers, args.client, args.connections, args.warmup, args.duration, args.server_pid
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
