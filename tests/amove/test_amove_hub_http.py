"""The hub's HTTP transports, Server-Sent Events and Long Polling with their HTTP POST half, spoken by
hand over a real socket (TransportProtocols.md): the handshake and the pushes travel as events or in
poll answers, polls wait on the virtual clock, DELETE ends a polling connection, idle connections
are forgotten; and every refusal in process, with the status and text ASP.NET Core answers.

A poll that has to wait runs on a thread; the test learns that it is waiting from the hub itself
(`waiting_polls`), so moving the clock never races the poll.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from amove_helpers import SAMPLE_PAYLOAD, as_user, login

from emulators.amove import hub as hub_module
from emulators.amove.signalr import ConnectionRegistry, Invocation, MessagePackHubProtocol
from emulators.amove.store import AmoveStore
from emulators.testing import Emulator, LiveEmulator

RS = "\x1e"
RUNNING, COMPLETED = 2, 4
WAIT = 10.0  # real seconds, a safety net: every answer comes as soon as the hub has it
HANDSHAKE = '{"protocol":"json","version":1}' + RS
EVENTS = {"Accept": "text/event-stream"}


def _records(text: str) -> list[dict[str, Any]]:
    return [json.loads(part) for part in text.split(RS) if part]


def _negotiate(http: httpx.Client, headers: dict[str, str]) -> str:
    response = http.post("/api/rm/negotiate?negotiateVersion=1", headers=headers)
    assert response.status_code == 200
    token: str = response.json()["connectionToken"]
    return token


def _start_transfer(http: httpx.Client, headers: dict[str, str]) -> None:
    body = {**SAMPLE_PAYLOAD, "sourcePath": "/photos/2024/", "destinationPath": "/polled/"}
    assert http.post("/api/v1/transfer/transfer", json=body, headers=headers).status_code == 200


class _Events:
    """The events of a Server-Sent Events response, one `data` value at a time."""

    def __init__(self, response: httpx.Response) -> None:
        self._chunks = response.iter_raw()
        self.opening = next(self._chunks)
        self._buffer = b""

    def next(self) -> str:
        while True:
            if b"\r\n\r\n" in self._buffer:
                block, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
                return b"\n".join(
                    line[6:] for line in block.split(b"\r\n") if line.startswith(b"data: ")
                ).decode()
            self._buffer += next(self._chunks)

    def rest(self) -> list[str]:
        """The events left, once the stream has ended (a stream that goes on times the read out)."""
        for chunk in self._chunks:
            self._buffer += chunk
        left = []
        while self._buffer:
            left.append(self.next())
        return left


@pytest.fixture
def live(emulator_server: LiveEmulator) -> Iterator[tuple[LiveEmulator, httpx.Client, dict[str, str]]]:
    with httpx.Client(base_url=emulator_server.url, timeout=WAIT) as http:
        yield emulator_server, http, {"Authorization": f"Bearer {login(http)}"}


@pytest.fixture
def waiting_polls(monkeypatch: pytest.MonkeyPatch) -> queue.Queue[int]:
    """The number of each poll that starts to wait, as the hub holds it."""
    waiting: queue.Queue[int] = queue.Queue()
    wait = hub_module._Polls.wait

    async def noted(self: hub_module._Polls, store: AmoveStore, poll: int) -> Any:
        waiting.put(poll)  # the poll's timer is set before the test can act on this
        return await wait(self, store, poll)

    monkeypatch.setattr(hub_module._Polls, "wait", noted)
    return waiting


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=2) as executor:
        yield executor


def _poll_soon(
    pool: ThreadPoolExecutor, live: LiveEmulator, path: str, headers: dict[str, str]
) -> Future[httpx.Response]:
    def poll() -> httpx.Response:
        with httpx.Client(base_url=live.url, timeout=WAIT) as http:
            return http.get(path, headers=headers)

    return pool.submit(poll)


def _polling(http: httpx.Client, headers: dict[str, str], handshake: str = HANDSHAKE) -> str:
    """A Long Polling connection past its first poll and the handshake reply."""
    token = _negotiate(http, headers)
    first = http.get(f"/api/rm?id={token}", headers=headers)
    assert (first.status_code, first.content) == (200, b"")
    assert first.headers["content-type"] == "application/octet-stream"
    assert first.headers["cache-control"] == "no-cache, no-store"
    sent = http.post(f"/api/rm?id={token}", content=handshake, headers=headers)
    assert (sent.status_code, sent.text) == (200, "")
    reply = http.get(f"/api/rm?id={token}", headers=headers)
    assert reply.content == b"{}" + RS.encode()
    return token


# -- Server-Sent Events --------------------------------------------------------------------------


def test_events_carry_the_handshake_reply_pings_and_pushes_until_the_client_closes(live: Any) -> None:
    emulator, http, headers = live
    token = _negotiate(http, headers)
    jwt = headers["Authorization"].removeprefix("Bearer ")
    # The JavaScript client puts the JWT of the event stream in the query, and sends with the header.
    with http.stream("GET", f"/api/rm?id={token}&access_token={jwt}", headers=EVENTS) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        events = _Events(response)
        assert events.opening == b":\r\n"
        assert http.post(f"/api/rm?id={token}", content=HANDSHAKE, headers=headers).status_code == 200
        assert events.next() == "{}" + RS
        emulator.control.advance(15)
        assert _records(events.next()) == [{"type": 6}]
        _start_transfer(http, headers)
        emulator.control.advance(5)
        [push] = _records(events.next())
        assert (push["type"], push["target"], push["arguments"][0]["transferStatus"]) == (
            1,
            "transferProgress",
            2,
        )
        assert http.post(f"/api/rm?id={token}", content='{"type":7}' + RS, headers=headers).status_code == 200
        assert all(_records(data)[0]["type"] == 1 for data in events.rest())  # then the stream ends
    assert http.get(f"/api/rm?id={token}", headers={**headers, **EVENTS}).status_code == 404


def test_events_refuse_messagepack_in_the_handshake_reply(live: Any) -> None:
    _, http, headers = live
    token = _negotiate(http, headers)
    with http.stream("GET", f"/api/rm?id={token}", headers={**headers, **EVENTS}) as response:
        events = _Events(response)
        handshake = '{"protocol":"messagepack","version":1}' + RS
        assert http.post(f"/api/rm?id={token}", content=handshake, headers=headers).status_code == 200
        [reply] = _records(events.next())
        assert events.rest() == []
    assert "does not support 'Binary'" in reply["error"]


def test_a_malformed_message_closes_the_event_stream_with_the_error(live: Any) -> None:
    _, http, headers = live
    token = _negotiate(http, headers)
    with http.stream("GET", f"/api/rm?id={token}", headers={**headers, **EVENTS}) as response:
        events = _Events(response)
        http.post(f"/api/rm?id={token}", content=HANDSHAKE, headers=headers)
        assert events.next() == "{}" + RS
        # ASP.NET Core takes the bytes (200) and its hub answers them with a Close on the stream.
        sent = http.post(f"/api/rm?id={token}", content=b'{"type":1}\x1e', headers=headers)
        assert sent.status_code == 200
        [close] = _records(events.next())
        assert events.rest() == []
    assert close["type"] == 7 and "InvalidDataException" in close["error"]
    assert http.post(f"/api/rm?id={token}", content=HANDSHAKE, headers=headers).status_code == 404


def test_a_client_that_leaves_the_stream_leaves_no_subscription_behind(
    live: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, http, headers = live
    closed = threading.Event()
    close = ConnectionRegistry.close
    monkeypatch.setattr(ConnectionRegistry, "close", lambda self, c: (close(self, c), closed.set()))
    token = _negotiate(http, headers)
    subscribers = emulator.host.world.subscribers
    with http.stream("GET", f"/api/rm?id={token}", headers={**headers, **EVENTS}) as response:
        events = _Events(response)
        http.post(f"/api/rm?id={token}", content=HANDSHAKE, headers=headers)
        events.next()
        assert len(subscribers) == 2  # the account's transfers and the connection's own ticks
    assert closed.wait(WAIT)  # the hub saw the client go
    assert len(subscribers) == 0
    assert http.post(f"/api/rm?id={token}", content="{}", headers=headers).status_code == 404


# -- Long Polling ---------------------------------------------------------------------------------


def test_polls_take_the_pushes_waiting_for_them(live: Any) -> None:
    emulator, http, headers = live
    token = _polling(http, headers)
    _start_transfer(http, headers)
    emulator.control.advance(5)
    emulator.control.advance(60)
    answer = http.get(f"/api/rm?id={token}", headers=headers)
    assert answer.headers["content-type"] == "application/octet-stream"
    statuses = [m["arguments"][0]["transferStatus"] for m in _records(answer.text) if m["type"] == 1]
    assert statuses[0] == RUNNING and statuses[-1] == COMPLETED  # no pings: polling needs none


def test_a_waiting_poll_answers_when_a_push_comes(live: Any, waiting_polls: Any, pool: Any) -> None:
    emulator, http, headers = live
    token = _polling(http, headers)
    poll = _poll_soon(pool, emulator, f"/api/rm?id={token}", headers)
    waiting_polls.get(timeout=WAIT)
    _start_transfer(http, headers)
    emulator.control.advance(5)
    push = _records(poll.result(WAIT).text)[0]  # picked up (and the interval's tick, due with it)
    assert push["arguments"][0]["transferStatus"] == RUNNING


def test_a_poll_times_out_after_90_seconds_of_the_clock(live: Any, waiting_polls: Any, pool: Any) -> None:
    emulator, http, headers = live
    token = _polling(http, headers)
    poll = _poll_soon(pool, emulator, f"/api/rm?id={token}", headers)
    waiting_polls.get(timeout=WAIT)
    emulator.control.advance(89)
    assert not poll.done()
    emulator.control.advance(1)
    answer = poll.result(WAIT)
    assert (answer.status_code, answer.content, answer.headers["content-type"]) == (
        200,
        b"",
        "text/plain; charset=utf-8",
    )


def test_a_poll_waits_at_most_a_bounded_real_time(live: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # A manual clock that stands still must not hold a poll for ever.
    _, http, headers = live
    token = _polling(http, headers)
    monkeypatch.setattr(hub_module, "REAL_POLL_SECONDS", 0.05)
    answer = http.get(f"/api/rm?id={token}", headers=headers)
    assert (answer.status_code, answer.content) == (200, b"")


def test_a_new_poll_ends_the_waiting_one_with_204(live: Any, waiting_polls: Any, pool: Any) -> None:
    emulator, http, headers = live
    token = _polling(http, headers)
    old = _poll_soon(pool, emulator, f"/api/rm?id={token}", headers)
    waiting_polls.get(timeout=WAIT)
    new = _poll_soon(pool, emulator, f"/api/rm?id={token}", headers)
    assert old.result(WAIT).status_code == 204
    waiting_polls.get(timeout=WAIT)
    _start_transfer(http, headers)
    emulator.control.advance(5)
    assert _records(new.result(WAIT).text)[0]["type"] == 1


def test_delete_ends_the_connection_and_its_waiting_poll(live: Any, waiting_polls: Any, pool: Any) -> None:
    emulator, http, headers = live
    token = _polling(http, headers)
    poll = _poll_soon(pool, emulator, f"/api/rm?id={token}", headers)
    waiting_polls.get(timeout=WAIT)
    deleted = http.delete(f"/api/rm?id={token}", headers=headers)
    assert (deleted.status_code, deleted.text) == (202, "")
    assert poll.result(WAIT).status_code == 204
    assert http.get(f"/api/rm?id={token}", headers=headers).status_code == 404
    assert http.delete(f"/api/rm?id={token}", headers=headers).status_code == 404
    assert len(emulator.host.world.subscribers) == 0


def test_a_close_message_ends_the_waiting_poll_with_204(live: Any, waiting_polls: Any, pool: Any) -> None:
    emulator, http, headers = live
    token = _polling(http, headers)
    poll = _poll_soon(pool, emulator, f"/api/rm?id={token}", headers)
    waiting_polls.get(timeout=WAIT)
    assert http.post(f"/api/rm?id={token}", content='{"type":7}' + RS, headers=headers).status_code == 200
    assert poll.result(WAIT).status_code == 204
    assert http.get(f"/api/rm?id={token}", headers=headers).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        b'{"type":1}\x1e',  # no target
        b"\xff\xfe\x1e",  # not UTF-8
        b"x" * 40_000,  # past the 32 KB message limit, with no separator
    ],
)
def test_a_malformed_post_is_taken_and_answered_with_a_close(live: Any, body: bytes) -> None:
    _, http, headers = live
    token = _polling(http, headers)
    # ASP.NET Core takes the bytes (200); its hub answers them with a Close and ends the connection.
    assert http.post(f"/api/rm?id={token}", content=body, headers=headers).status_code == 200
    [close] = _records(http.get(f"/api/rm?id={token}", headers=headers).text)
    assert close["type"] == 7 and close["error"].startswith("Connection closed with an error.")
    assert http.get(f"/api/rm?id={token}", headers=headers).status_code == 404


def test_a_message_split_over_two_posts_is_read_whole(live: Any) -> None:
    _, http, headers = live
    token = _polling(http, headers)
    http.post(f"/api/rm?id={token}", content='{"type":1,"invocationId":"1","target":"Jo', headers=headers)
    http.post(f"/api/rm?id={token}", content='in","arguments":[]}' + RS, headers=headers)
    [completion] = _records(http.get(f"/api/rm?id={token}", headers=headers).text)
    assert completion == {"type": 3, "invocationId": "1", "error": "Unknown hub method 'Join'"}


def test_a_malformed_handshake_gets_the_error_reply_in_the_next_poll(live: Any) -> None:
    _, http, headers = live
    token = _negotiate(http, headers)
    http.get(f"/api/rm?id={token}", headers=headers)
    assert http.post(f"/api/rm?id={token}", content="not json" + RS, headers=headers).status_code == 200
    [reply] = _records(http.get(f"/api/rm?id={token}", headers=headers).text)
    assert reply == {"error": "An unexpected error occurred during connection handshake."}
    assert http.get(f"/api/rm?id={token}", headers=headers).status_code == 404


def test_messagepack_travels_in_binary_poll_answers(live: Any) -> None:
    emulator, http, headers = live
    token = _polling(http, headers, '{"protocol":"messagepack","version":1}' + RS)
    _start_transfer(http, headers)
    emulator.control.advance(5)
    push = (
        MessagePackHubProtocol().decoder().read(http.get(f"/api/rm?id={token}", headers=headers).content)[0]
    )
    assert isinstance(push, Invocation) and push.target == "transferProgress"
    assert push.arguments[0]["transferStatus"] == RUNNING


# -- Idle connections -----------------------------------------------------------------------------


@pytest.fixture
def expired(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set when the hub forgets an idle connection; the idle time is shortened to nothing."""
    forgotten = threading.Event()
    expire = ConnectionRegistry.expire

    def noted(self: ConnectionRegistry, connection: Any, mark: int) -> bool:
        if expire(self, connection, mark):
            forgotten.set()
            return True
        return False

    monkeypatch.setattr(ConnectionRegistry, "expire", noted)
    return forgotten


def test_a_negotiated_connection_nobody_uses_is_forgotten(
    live: Any, expired: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, http, headers = live
    monkeypatch.setattr(hub_module, "IDLE_SECONDS", 0.0)
    token = _negotiate(http, headers)
    assert expired.wait(WAIT)
    assert http.get(f"/api/rm?id={token}", headers=headers).status_code == 404


def test_a_poller_that_stops_polling_is_forgotten_with_its_subscriptions(
    live: Any, expired: threading.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, http, headers = live
    token = _negotiate(http, headers)
    http.get(f"/api/rm?id={token}", headers=headers)
    http.post(f"/api/rm?id={token}", content=HANDSHAKE, headers=headers)
    assert len(emulator.host.world.subscribers) == 2
    monkeypatch.setattr(hub_module, "IDLE_SECONDS", 0.0)
    assert http.get(f"/api/rm?id={token}", headers=headers).text == "{}" + RS  # the last poll
    assert expired.wait(WAIT)
    assert len(emulator.host.world.subscribers) == 0
    assert http.post(f"/api/rm?id={token}", content='{"type":6}' + RS, headers=headers).status_code == 404


# -- Refusals (in process) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "extra"),
    [("GET", {}), ("GET", EVENTS), ("POST", {}), ("DELETE", {})],
)
def test_a_missing_or_unknown_id_is_400_or_404_in_plain_text(
    emulator: Emulator, method: str, extra: dict[str, str]
) -> None:
    api = as_user(emulator)
    headers = {**api.headers, **extra}
    missing = emulator.client.request(method, "/api/rm", headers=headers)
    assert (missing.status_code, missing.text) == (400, "Connection ID required")
    assert missing.headers["content-type"].startswith("text/plain")
    unknown = emulator.client.request(method, "/api/rm?id=nope", headers=headers)
    assert (unknown.status_code, unknown.text) == (404, "No Connection with that ID")


@pytest.mark.parametrize(("method", "extra"), [("GET", {}), ("GET", EVENTS), ("POST", {}), ("DELETE", {})])
def test_every_transport_request_needs_the_jwt(
    emulator: Emulator, method: str, extra: dict[str, str]
) -> None:
    api = as_user(emulator)
    token = _negotiate(emulator.client, api.headers)
    assert emulator.client.request(method, f"/api/rm?id={token}", headers=extra).status_code == 401
    bad = {**extra, "Authorization": "Bearer not-a-jwt"}
    assert emulator.client.request(method, f"/api/rm?id={token}", headers=bad).status_code == 401


def test_a_connection_keeps_its_transport(emulator: Emulator) -> None:
    api = as_user(emulator)
    token = _negotiate(emulator.client, api.headers)
    assert emulator.client.get(f"/api/rm?id={token}", headers=api.headers).status_code == 200  # polling
    with emulator.client.stream("GET", f"/api/rm?id={token}", headers={**api.headers, **EVENTS}) as events:
        assert (events.status_code, events.read()) == (400, b"Cannot change transports mid-connection")


def test_a_second_event_stream_is_409(emulator: Emulator) -> None:
    api = as_user(emulator)
    token = _negotiate(emulator.client, api.headers)
    path, headers = f"/api/rm?id={token}", {**api.headers, **EVENTS}
    with emulator.client.stream("GET", path, headers=headers) as first:
        assert first.status_code == 200
        assert emulator.client.get(path, headers=headers).status_code == 409


def test_a_websocket_connection_refuses_post_and_delete(emulator: Emulator) -> None:
    api = as_user(emulator)
    token = _negotiate(emulator.client, api.headers)
    with emulator.websocket(f"/api/rm?id={token}", api.headers):
        posted = emulator.client.post(f"/api/rm?id={token}", content=HANDSHAKE, headers=api.headers)
        assert (posted.status_code, posted.text) == (
            405,
            "POST requests are not allowed for WebSocket connections.",
        )
        deleted = emulator.client.delete(f"/api/rm?id={token}", headers=api.headers)
        assert (deleted.status_code, deleted.text) == (
            400,
            "Cannot terminate this connection using the DELETE endpoint.",
        )
        polled = emulator.client.get(f"/api/rm?id={token}", headers=api.headers)
        assert (polled.status_code, polled.text) == (400, "Cannot change transports mid-connection")


def test_bytes_posted_before_the_first_poll_wait_for_it(emulator: Emulator) -> None:
    # signalrcore's poller sends its handshake before its first poll; ASP.NET Core holds the bytes.
    api = as_user(emulator)
    token = _negotiate(emulator.client, api.headers)
    posted = emulator.client.post(f"/api/rm?id={token}", content=HANDSHAKE, headers=api.headers)
    assert (posted.status_code, posted.text) == (200, "")
    deleted = emulator.client.delete(f"/api/rm?id={token}", headers=api.headers)
    assert deleted.status_code == 400  # no transport yet: not a polling connection
    assert emulator.client.get(f"/api/rm?id={token}", headers=api.headers).content == b""  # the first poll
    assert emulator.client.get(f"/api/rm?id={token}", headers=api.headers).text == "{}" + RS


def test_bytes_posted_before_the_event_stream_wait_for_it(emulator: Emulator) -> None:
    api = as_user(emulator)
    token = _negotiate(emulator.client, api.headers)
    emulator.client.post(f"/api/rm?id={token}", content=HANDSHAKE, headers=api.headers)
    with emulator.client.stream("GET", f"/api/rm?id={token}", headers={**api.headers, **EVENTS}) as response:
        chunks = response.iter_raw()
        assert next(chunks) == b":\r\n"
        assert next(chunks) == b"data: {}\x1e\r\n\r\n"


def test_too_much_before_the_transport_started_is_413(emulator: Emulator) -> None:
    api = as_user(emulator)
    token = _negotiate(emulator.client, api.headers)
    posted = emulator.client.post(f"/api/rm?id={token}", content=b"x" * 70_000, headers=api.headers)
    assert posted.status_code == 413
