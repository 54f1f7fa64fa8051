"""The JavaScript SignalR client, @microsoft/signalr under Node, unmodified, over a real socket: with
each transport (WebSockets, Server-Sent Events, Long Polling) and with the MessagePack hub protocol,
it hears a transfer's progress pushes until the transfer reaches Completed.

`node/watch_transfers.mjs` connects as docs/amove.md shows and prints one JSON line per push; the
test starts the transfer and moves the virtual clock through the control API, reading the lines as
they come (each wait has a timeout). Skipped where Node is not installed, or where npm is not and so
`make setup` could not install the client.
"""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from amove_helpers import SAMPLE_PAYLOAD, login

from emulators.testing import LiveEmulator

NODE_CLIENT = Path(__file__).parent / "node"
SCRIPT = NODE_CLIENT / "watch_transfers.mjs"
RUNNING, COMPLETED = 2, 4
WAIT = 20.0  # real seconds, a safety net: each line comes as soon as the clock is moved
pytestmark = [pytest.mark.real_client, pytest.mark.live]


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node is not installed: the JavaScript SignalR client runs under it")
    if not (NODE_CLIENT / "node_modules" / "@microsoft" / "signalr").is_dir():
        if shutil.which("npm") is None:
            pytest.skip("npm is not installed, so `make setup` could not install the JavaScript client")
        pytest.fail("the JavaScript client is not installed: run `make setup` (npm ci in tests/amove/node)")
    return node


class _Watcher:
    """The Node script as a subprocess, its stdout lines read on a thread."""

    def __init__(self, node: str, arguments: list[str]) -> None:
        self.process = subprocess.Popen(
            [node, str(SCRIPT), *arguments],
            cwd=NODE_CLIENT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(json.loads(line))

    def next(self) -> dict[str, Any]:
        try:
            return self.lines.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"no line from the Node client; its stderr: {self.stop()}") from None

    def stop(self) -> str:
        """End the process if it still runs; its stderr."""
        if self.process.poll() is None:
            self.process.kill()
        _, errors = self.process.communicate(timeout=WAIT)
        return errors


@pytest.fixture
def http(emulator_server: LiveEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator_server.url) as client:
        yield client


@pytest.mark.parametrize(
    ("transport", "protocol", "logs_in"),
    [
        ("WebSockets", "json", True),
        ("ServerSentEvents", "json", False),
        ("LongPolling", "json", False),
        ("WebSockets", "messagepack", False),
        ("LongPolling", "messagepack", False),
    ],
)
def test_the_javascript_client_hears_a_transfer_reach_completed(
    emulator_server: LiveEmulator, http: httpx.Client, transport: str, protocol: str, logs_in: bool
) -> None:
    node = _node()
    jwt = login(http)
    arguments = ["--url", emulator_server.url, "--transport", transport, "--protocol", protocol]
    watcher = _Watcher(node, arguments if logs_in else [*arguments, "--jwt", jwt])
    try:
        assert watcher.next() == {"connected": {"transport": transport, "protocol": protocol}}
        body = {**SAMPLE_PAYLOAD, "sourcePath": "/photos/2024/", "destinationPath": "/node/"}
        headers = {"Authorization": f"Bearer {jwt}"}
        started = http.post("/api/v1/transfer/transfer", json=body, headers=headers)
        assert started.status_code == 200
        emulator_server.control.advance(5)  # picked up
        emulator_server.control.advance(60)  # finished
        pushes = []
        while not pushes or pushes[-1]["transferStatus"] != COMPLETED:
            pushes.append(watcher.next()["push"])
        assert watcher.next() == {"stopped": True}
        assert watcher.process.wait(WAIT) == 0
    finally:
        errors = watcher.stop()
    assert pushes[0]["transferStatus"] == RUNNING, errors
    assert {push["destinationPath"] for push in pushes} == {"/node/"}
    assert pushes[-1]["percent"] == 100
