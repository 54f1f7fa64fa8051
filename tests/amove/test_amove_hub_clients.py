"""Unmodified SignalR clients over a real socket (reference, C6 and C7): signalrcore and pysignalr
receive progress pushes for a running transfer and see it reach Completed.

Each client runs on its own thread; the test waits for the pushes with a timeout and moves the
virtual clock through the control API (when an advance returns, every push due has been sent).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from amove_helpers import SAMPLE_PAYLOAD, login

from emulators.testing import LiveEmulator

COMPLETED = 4
WAIT = 15.0
pytestmark = [pytest.mark.real_client, pytest.mark.live]


def _statuses_until_completed(pushes: queue.Queue[Any]) -> list[int]:
    statuses: list[int] = []
    while COMPLETED not in statuses:
        arguments = pushes.get(timeout=WAIT)
        statuses.append(arguments[0]["transferStatus"])
    return statuses


def _run_transfer(emulator_server: LiveEmulator, http: httpx.Client, jwt: str) -> None:
    headers = {"Authorization": f"Bearer {jwt}"}
    body = {**SAMPLE_PAYLOAD, "sourcePath": "/photos/2024/", "destinationPath": "/live/"}
    assert http.post("/api/v1/transfer/transfer", json=body, headers=headers).status_code == 200
    emulator_server.control.advance(5)  # picked up
    emulator_server.control.advance(60)  # finished


@pytest.fixture
def http(emulator_server: LiveEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator_server.url) as client:
        yield client


def test_signalrcore_hears_a_transfer_reach_completed(
    emulator_server: LiveEmulator, http: httpx.Client
) -> None:
    from signalrcore.hub_connection_builder import HubConnectionBuilder

    jwt = login(http)
    pushes: queue.Queue[Any] = queue.Queue()
    opened = threading.Event()
    # C6: signalrcore negotiates without a version, uses connectionId and sends handshake version 0.
    hub = (
        HubConnectionBuilder()
        .with_url(f"{emulator_server.url}/api/rm", options={"access_token_factory": lambda: jwt})
        .build()
    )
    hub.on_open(opened.set)
    hub.on("transferProgress", pushes.put)
    hub.start()
    try:
        assert opened.wait(WAIT)
        _run_transfer(emulator_server, http, jwt)
        statuses = _statuses_until_completed(pushes)
    finally:
        # signalrcore's stop closes its socket and waits for its receiving thread, which only wakes
        # when a frame arrives: the next Ping (15 s of the virtual clock) lets it go.
        stopping = threading.Thread(target=hub.stop, daemon=True)
        stopping.start()
        emulator_server.control.advance(15)
        stopping.join(WAIT)
    assert not stopping.is_alive()
    assert statuses[0] == 2 and statuses[-1] == COMPLETED


def test_pysignalr_hears_a_transfer_reach_completed(
    emulator_server: LiveEmulator, http: httpx.Client
) -> None:
    from pysignalr.client import SignalRClient

    jwt = login(http)
    pushes: queue.Queue[Any] = queue.Queue()
    opened = threading.Event()
    loop = asyncio.new_event_loop()
    # C6 (7): pysignalr's access_token_factory is not applied to negotiate: the token goes in headers.
    client = SignalRClient(f"{emulator_server.url}/api/rm", headers={"Authorization": f"Bearer {jwt}"})

    async def on_open() -> None:
        opened.set()

    async def on_push(arguments: list[Any]) -> None:
        pushes.put(arguments)

    client.on_open(on_open)
    client.on("transferProgress", on_push)

    async def run() -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await client.run()

    task = loop.create_task(run())

    async def close() -> None:
        # pysignalr has no stop, and a cancelled run leaves its socket open.
        socket = client._transport._ws
        if socket is not None:
            await socket.close()

    def serve() -> None:
        loop.run_until_complete(task)
        loop.run_until_complete(close())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        assert opened.wait(WAIT)
        _run_transfer(emulator_server, http, jwt)
        statuses = _statuses_until_completed(pushes)
    finally:
        loop.call_soon_threadsafe(task.cancel)
        thread.join(WAIT)
    assert statuses[0] == 2 and statuses[-1] == COMPLETED
