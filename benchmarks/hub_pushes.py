"""Benchmark: Amove hub pushes to 200 WebSocket subscribers, against a bare WebSocket broadcast.

The emulator (`benchmarks.serve hub`: manual clock, journal on, as users run it) holds 100 running
transfers of one Amove account; 200 subscribers of that account (`benchmarks.hub_subscribers`, the
`websockets` client, each doing the SignalR negotiate and handshake itself) are connected to
`/api/rm` over real sockets, so each virtual second is 100 pushes (the Transfer record) to each of
them: 20,000 pushes. The bench moves the clock one second at a time (`POST /_emulator/clock`
returns once every push due is sent) and waits until the subscribers have counted them all.

The baseline (`benchmarks.serve broadcast`) is a bare Starlette WebSocket app sending a message of
the same size (a push the emulator sent, verbatim) 100 times to the same 200 subscribers on each
`POST /tick`. Reported for both: pushes sent per second (server side: until the call returned) and
delivered per second (until the subscribers counted them), and the server process's CPU time per
push. Rounds alternate between the two servers, after a warm-up round each.
"""

from __future__ import annotations

import json
import select
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import httpx

from benchmarks.common import Report, stop_process
from benchmarks.load import cpu_seconds
from benchmarks.throughput import ServerProcess

NAME = "Amove hub pushes to 200 WebSocket subscribers"
SUBSCRIBERS = 200
TRANSFERS = 100
ROUNDS = 5
PUSHES_PER_ROUND = SUBSCRIBERS * TRANSFERS
WAIT = 120.0  # seconds a step may take before the run is given up
PAYLOAD = {
    "sourceCloudAccountId": "00000000-0000-0000-0000-000000000000",
    "sourceBucket": "source-bucket",
    "sourcePath": "/photos/",
    "destinationCloudAccountId": "11111111-1111-1111-1111-111111111111",
    "destinationBucket": "dest-bucket",
    "destinationPath": "/backup/photos/",
    "allowSkip": False,
    "keepSourceTree": True,
}


class SubscriberProcess:
    """`python -m benchmarks.hub_subscribers ...`; stopped (its stdin closed) on leaving the block."""

    def __init__(self, url: str, *extra: str) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.hub_subscribers",
                "--url",
                url,
                "--count",
                str(SUBSCRIBERS),
                *extra,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def __enter__(self) -> SubscriberProcess:
        if self._line() != "READY":
            raise RuntimeError("the subscribers did not connect")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        stop_process(self.process, close_stdin=True)

    def _line(self) -> str:
        stdout = self.process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], WAIT)
        if not ready:
            raise RuntimeError("the subscriber process did not answer")
        return stdout.readline().strip()

    def count(self) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write("COUNT\n")
        self.process.stdin.flush()
        answer: dict[str, Any] = json.loads(self._line())
        return answer

    def settled(self) -> int:
        """The count once it stopped moving (for pushes that went out before the rounds)."""
        last = -1
        while (received := int(self.count()["received"])) != last:
            last = received
            time.sleep(0.5)
        return received

    def wait_for(self, received: int) -> None:
        """Poll until the subscribers have counted `received` pushes in all."""
        deadline = time.perf_counter() + WAIT
        while self.count()["received"] < received:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"the subscribers never counted {received} pushes")
            time.sleep(0.002)


@dataclass
class Side:
    """One server under the benchmark, how it is made to push a round, and what each round took."""

    label: str
    server: ServerProcess
    subscribers: SubscriberProcess
    http: httpx.Client
    push: tuple[str, dict[str, Any]]  # path and query (or JSON body) of the call that pushes a round
    expected: int = 0
    rounds: list[dict[str, float]] = field(default_factory=list)

    def round(self, record: bool = True) -> None:
        path, body = self.push
        cpu = cpu_seconds(self.server.pid)
        started = time.perf_counter()
        response = self.http.post(path, json=body) if path.startswith("/_emulator") else self.http.post(path)
        response.raise_for_status()
        sent = time.perf_counter()
        self.expected += PUSHES_PER_ROUND
        self.subscribers.wait_for(self.expected)
        delivered = time.perf_counter()
        if record:
            self.rounds.append(
                {
                    "sent_s": sent - started,
                    "delivered_s": delivered - started,
                    "server_cpu_s": cpu_seconds(self.server.pid) - cpu,
                }
            )

    def figures(self) -> dict[str, float]:
        sent = statistics.median(r["sent_s"] for r in self.rounds)
        delivered = statistics.median(r["delivered_s"] for r in self.rounds)
        cpu = sum(r["server_cpu_s"] for r in self.rounds) / (PUSHES_PER_ROUND * len(self.rounds))
        return {
            "sent_per_s": PUSHES_PER_ROUND / sent,
            "delivered_per_s": PUSHES_PER_ROUND / delivered,
            "cpu_us_per_push": cpu * 1e6,
        }


def _login(http: httpx.Client) -> str:
    request_token = http.post("/api/authentication/request_token").json()
    login = http.post(
        "/api/authentication/login",
        json={
            "requestToken": request_token,
            "username": "admin@example.com",
            "password": "amove-admin",
            "type": 4,
        },
    )
    login.raise_for_status()
    jwt: str = login.json()["jwtToken"]
    return jwt


def _alternate(sides: list[Side]) -> None:
    for side in sides:
        side.round(record=False)  # warm-up
    for _ in range(ROUNDS):
        for side in sides:
            side.round()


def run() -> Report:
    report = Report(NAME)
    with (
        ServerProcess("hub") as hub_server,
        httpx.Client(base_url=hub_server.url, timeout=WAIT) as hub_http,
    ):
        jwt = _login(hub_http)
        auth = {"Authorization": f"Bearer {jwt}"}
        for _ in range(TRANSFERS):
            hub_http.post("/api/v1/transfer/transfer", json=PAYLOAD, headers=auth).raise_for_status()
        hub_http.post("/_emulator/clock", json={"advance": 0}).raise_for_status()
        with SubscriberProcess(
            hub_server.url, "--signalr", "--header", f"Authorization: Bearer {jwt}"
        ) as hub_subs:
            # The pushes each connection's timer sent as it opened are counted before the rounds.
            hub_http.post("/_emulator/clock", json={"advance": 0}).raise_for_status()
            hub = Side("emulator", hub_server, hub_subs, hub_http, ("/_emulator/clock", {"advance": 1}))
            hub.expected = hub_subs.settled()
            hub.round(record=False)
            sample = hub_subs.count()["sample"]
            assert isinstance(sample, str)
            with (
                ServerProcess("broadcast") as bare_server,
                httpx.Client(base_url=bare_server.url, timeout=WAIT) as bare_http,
            ):
                bare_http.post("/message", content=sample.encode()).raise_for_status()
                with SubscriberProcess(bare_server.url, "--path", "/ws") as bare_subs:
                    bare = Side("bare", bare_server, bare_subs, bare_http, (f"/tick?count={TRANSFERS}", {}))
                    _alternate([hub, bare])
    emulator, baseline = hub.figures(), bare.figures()
    size = len(sample.encode())
    report.add(
        "pushes sent per second, emulator",
        emulator["sent_per_s"],
        "pushes/s",
        target=f">= {PUSHES_PER_ROUND:,}/s (one virtual second's pushes in a real second)",
        met=emulator["sent_per_s"] >= PUSHES_PER_ROUND,
        note=f"{SUBSCRIBERS} subscribers x {TRANSFERS} running transfers, a {size}-byte push; "
        f"delivered {emulator['delivered_per_s']:,.0f}/s",
    )
    report.add(
        "pushes sent per second, bare broadcast",
        baseline["sent_per_s"],
        "pushes/s",
        note=f"delivered {baseline['delivered_per_s']:,.0f}/s; emulator / bare "
        f"{emulator['sent_per_s'] / baseline['sent_per_s']:.2f}x",
    )
    report.add(
        "server CPU per push, emulator",
        emulator["cpu_us_per_push"],
        "us",
        note=f"bare broadcast {baseline['cpu_us_per_push']:.1f} us "
        f"({emulator['cpu_us_per_push'] / baseline['cpu_us_per_push']:.1f}x)",
    )
    report.details = {
        "push_bytes": size,
        "emulator": {"figures": emulator, "rounds": hub.rounds},
        "bare": {"figures": baseline, "rounds": bare.rounds},
    }
    return report
