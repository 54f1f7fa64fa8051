"""The `/api/rm` SignalR hub in process (reference, C1 to C5, C7): negotiate, the JWT on negotiate
and upgrade, the handshake, pushes of the account's transfers at the interval and on every status
change, pings, Completions for client invocations, Close."""

from __future__ import annotations

import json
from typing import Any

import pytest
from amove_helpers import EDITOR, as_user

from emulators.amove import hub as hub_module
from emulators.amove.signalr import MessagePackHubProtocol
from emulators.testing import Emulator
from emulators.testing.websocket import InProcessWebSocket, WebSocketRefused

RS = "\x1e"
RUNNING, COMPLETED = 2, 4
QUIET = """
version: 1
extends: default
services:
  amove:
    hub: {interval: 10}
"""


def _records(text: str) -> list[dict[str, Any]]:
    return [json.loads(part) for part in text.split(RS) if part]


def _next_push(hub: InProcessWebSocket) -> dict[str, Any]:
    """The next transfer pushed, past any pings."""
    while True:
        for message in _records(hub.receive_text()):
            if message["type"] == 1:
                record: dict[str, Any] = message["arguments"][0]
                return record


def _open(emulator: Emulator, headers: dict[str, str], version: int = 1) -> InProcessWebSocket:
    negotiated = emulator.client.post(f"/api/rm/negotiate?negotiateVersion={version}", headers=headers).json()
    hub = emulator.websocket(
        f"/api/rm?id={negotiated.get('connectionToken', negotiated['connectionId'])}", headers
    )
    hub.send_text('{"protocol":"json","version":1}' + RS)
    assert hub.receive_text() == "{}" + RS  # C3: the reply, as its own frame
    return hub


def test_negotiate_answers_v0_and_v1_and_401_without_a_jwt(emulator: Emulator) -> None:
    # C1: "absent ⇒ 0; requested ≤ max ⇒ requested"; "Unauthenticated → HTTP 401".
    api = as_user(emulator)
    v0 = emulator.client.post("/api/rm/negotiate", headers=api.headers).json()
    assert v0["negotiateVersion"] == 0 and "connectionToken" not in v0
    assert v0["availableTransports"] == [
        {"transport": "WebSockets", "transferFormats": ["Text", "Binary"]},
        {"transport": "ServerSentEvents", "transferFormats": ["Text"]},
        {"transport": "LongPolling", "transferFormats": ["Text", "Binary"]},
    ]
    v1 = emulator.client.post("/api/rm/negotiate?negotiateVersion=1", headers=api.headers).json()
    assert v1["negotiateVersion"] == 1 and v1["connectionToken"] != v1["connectionId"]
    assert emulator.client.post("/api/rm/negotiate").status_code == 401
    by_query = emulator.client.post(f"/api/rm/negotiate?access_token={api.jwt}")
    assert by_query.status_code == 200


def test_the_upgrade_needs_the_jwt_and_a_known_id(emulator: Emulator) -> None:
    # C2: "unknown `id` → 404"; C6 (8): a 401 denial without a JWT.
    api = as_user(emulator)
    with pytest.raises(WebSocketRefused) as refused:
        emulator.websocket("/api/rm")
    assert refused.value.status == 401
    with pytest.raises(WebSocketRefused) as unknown:
        emulator.websocket("/api/rm?id=nope", api.headers)
    assert unknown.value.status == 404


def test_the_access_token_query_and_no_id_are_accepted(emulator: Emulator) -> None:
    # C6 (1, 4): no `id` at all (skip negotiation) and the JWT in `access_token`.
    api = as_user(emulator)
    with emulator.websocket(f"/api/rm?access_token={api.jwt}") as hub:
        hub.send_text('{"protocol":"json","version":0}' + RS)  # signalrcore's version 0 (C3)
        assert hub.receive_text() == "{}" + RS


@pytest.mark.emulator(scenario_text=QUIET)
def test_pushes_come_at_the_interval_and_on_every_status_change(emulator: Emulator) -> None:
    api = as_user(emulator)
    with _open(emulator, api.headers) as hub:
        api.transfer(
            sourcePath="/photos/2025/forest.raw", destinationPath="/one/"
        )  # 25 MiB: 0.26 s at 100 MiB/s
        emulator.advance(5)  # picked up at t = 5
        emulator.advance(10)  # the interval's tick at t = 10 finds it finished
        heard = [_records(hub.receive_text()) for _ in range(2)]
    pushes = [message for frame in heard for message in frame]
    assert all(p["type"] == 1 and p["target"] == "transferProgress" for p in pushes)
    statuses = [p["arguments"][0]["transferStatus"] for p in pushes]
    assert statuses == [RUNNING, COMPLETED]  # picked up (t = 5), finished (t = 5.27)
    assert pushes[1]["arguments"][0]["transferred"] == 1


@pytest.mark.emulator(scenario_text=QUIET)
def test_a_running_transfer_is_pushed_at_each_tick_of_the_interval(emulator: Emulator) -> None:
    api = as_user(emulator)
    with _open(emulator, api.headers) as hub:
        api.transfer(sourcePath="/photos/shoot/")  # 200 photos of ~4 MB at 100 MiB/s: t = 5 to ~13
        emulator.advance(4)
        emulator.advance(6)  # t = 10: a tick while it runs
        picked_up, tick = _next_push(hub), _next_push(hub)
        emulator.advance(20)  # it ends before t = 20; that tick finds nothing running
        finished = _next_push(hub)
    assert [picked_up["transferStatus"], tick["transferStatus"], finished["transferStatus"]] == [
        RUNNING,
        RUNNING,
        COMPLETED,
    ]
    assert picked_up["percent"] < tick["percent"] < finished["percent"] == 100


@pytest.mark.emulator(scenario_text=QUIET)
def test_only_the_callers_account_is_heard_and_every_user_of_it_hears(emulator: Emulator) -> None:
    editor = as_user(emulator, EDITOR)
    with _open(emulator, editor.headers) as hub:
        as_user(emulator).transfer(sourcePath="/docs/")
        emulator.advance(6)
        [push] = _records(hub.receive_text())
    assert push["arguments"][0]["sourcePath"] == "/docs/"


def test_a_ping_comes_every_15_seconds_of_quiet(emulator: Emulator) -> None:
    # C5: "send {"type":6} every ≤15 s".
    api = as_user(emulator)
    with _open(emulator, api.headers) as hub:
        emulator.advance(15)
        assert _records(hub.receive_text()) == [{"type": 6}]


def test_client_invocations_get_a_completion_and_pings_none(emulator: Emulator) -> None:
    # C4: "Unknown targets → Completion with `error`"; a non-blocking invocation gets no reply.
    api = as_user(emulator)
    with _open(emulator, api.headers) as hub:
        hub.send_text('{"type":6}' + RS + '{"type":1,"target":"Join","arguments":[]}' + RS)
        hub.send_text('{"type":1,"invocationId":"7","target":"Join","arguments":["x"]}' + RS)
        [completion] = _records(hub.receive_text())
    assert completion == {"type": 3, "invocationId": "7", "error": "Unknown hub method 'Join'"}


def test_a_protocol_error_closes_with_a_close_message(emulator: Emulator) -> None:
    api = as_user(emulator)
    with _open(emulator, api.headers) as hub:
        hub.send_text('{"type":1}' + RS)
        [close] = _records(hub.receive_text())
    assert close["type"] == 7 and "error" in close


def test_a_refused_protocol_gets_the_error_reply(emulator: Emulator) -> None:
    api = as_user(emulator)
    negotiated = emulator.client.post("/api/rm/negotiate", headers=api.headers).json()
    with emulator.websocket(f"/api/rm?id={negotiated['connectionId']}", api.headers) as hub:
        hub.send_text('{"protocol":"xml","version":1}' + RS)
        assert "error" in json.loads(hub.receive_text().rstrip(RS))


def test_messagepack_clients_get_binary_pushes(emulator: Emulator) -> None:
    api = as_user(emulator)
    negotiated = emulator.client.post("/api/rm/negotiate", headers=api.headers).json()
    with emulator.websocket(f"/api/rm?id={negotiated['connectionId']}", api.headers) as hub:
        hub.send_text('{"protocol":"messagepack","version":1}' + RS)
        assert hub.receive_text() == "{}" + RS
        emulator.advance(15)
        [ping] = MessagePackHubProtocol().decoder().read(hub.receive_bytes())
    assert type(ping).__name__ == "Ping"


def test_a_second_socket_for_the_same_id_is_refused(emulator: Emulator) -> None:
    # C2: "second socket for same id → 409".
    api = as_user(emulator)
    negotiated = emulator.client.post("/api/rm/negotiate", headers=api.headers).json()
    path = f"/api/rm?id={negotiated['connectionId']}"
    with emulator.websocket(path, api.headers), pytest.raises(WebSocketRefused) as refused:
        emulator.websocket(path, api.headers)
    assert refused.value.status == 409


@pytest.mark.emulator(
    scenario_text="""
version: 1
extends: default
services:
  amove:
    hub: {target: TransferUpdated, payload: progress, interval: 10}
"""
)
def test_the_target_and_payload_come_from_the_scenario(emulator: Emulator) -> None:
    # Reference, B5: the hub's method names and payload are not public, so the scenario chooses.
    api = as_user(emulator)
    with _open(emulator, api.headers) as hub:
        api.transfer(sourcePath="/docs/")
        emulator.advance(6)
        [push] = _records(hub.receive_text())
    assert push["target"] == "TransferUpdated"
    assert set(push["arguments"][0]) == {"id", "transferStatus", "percent", "transferred", "failed", "total"}


def test_with_a_manual_clock_pings_also_come_on_the_real_clock(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # C5: a client closes after 30 s without a message; a manual clock may not move for that long.
    monkeypatch.setattr(hub_module, "REAL_TIME_PING_SECONDS", 0.05)
    api = as_user(emulator)
    with _open(emulator, api.headers) as hub:
        assert _records(hub.receive_text()) == [{"type": 6}]  # no advance: the real clock's Ping
