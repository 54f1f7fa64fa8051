"""The request journal: a bounded ring of entries, filters, and secrets that never reach it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from emulators.core.clock import ManualClock
from emulators.core.journal import (
    ENDPOINT,
    FAULT,
    METHOD,
    RECORDED,
    SERVICE,
    STATUS,
    TALLY_EVERY,
    Journal,
    JournalEntry,
    JournalSpec,
    mask_body,
    mask_headers,
    record_request,
)
from emulators.core.metrics import Metrics
from emulators.core.types import STATUS_KEY

START = datetime(2030, 1, 1, tzinfo=UTC)


def entry(
    journal: Journal,
    service: str | None = "svc",
    method: str = "GET",
    path: str = "/",
    raw_headers: tuple[tuple[bytes, bytes], ...] = (),
    **outcome: Any,
) -> None:
    """Open an entry for a request like this one, then set what the answer was (status, fault)."""
    scope = {"method": method, "path": path, "headers": list(raw_headers)}
    opened = journal.open(START, service, scope)
    for name, value in outcome.items():
        setattr(opened, name, value)


def test_the_journal_keeps_only_the_newest_entries() -> None:
    journal = Journal(JournalSpec(size=3))
    for i in range(5):
        entry(journal, path=f"/{i}")
    assert len(journal) == 3
    assert [(e.id, e.path) for e in journal] == [(3, "/2"), (4, "/3"), (5, "/4")]


@settings(derandomize=True, database=None)
@given(size=st.integers(0, 20), requests=st.integers(0, 50))
def test_the_journal_never_holds_more_than_its_size(size: int, requests: int) -> None:
    journal = Journal(JournalSpec(size=size))
    for i in range(requests):
        entry(journal, path=f"/{i}")
    assert len(journal) == min(size, requests)
    assert [e.id for e in journal] == list(range(requests - len(journal) + 1, requests + 1))


def test_clearing_empties_the_journal_and_ids_keep_counting() -> None:
    journal = Journal(JournalSpec())
    entry(journal)
    journal.clear()
    assert len(journal) == 0
    entry(journal)
    assert [e.id for e in journal] == [2]


def test_iterating_sees_a_snapshot() -> None:
    journal = Journal(JournalSpec(size=2))
    entry(journal)
    entry(journal)
    for _ in journal:
        entry(journal)
    assert len(journal) == 2


def test_select_filters_by_every_field_given() -> None:
    journal = Journal(JournalSpec())
    entry(journal, service="a", method="GET", path="/jobs/1", status=200)
    entry(journal, service="a", method="POST", path="/jobs", status=201)
    entry(journal, service="b", method="GET", path="/files/x", status=404)
    entry(journal, service=None, method="GET", path="/jobsx", status=None)

    def ids(**filters: Any) -> list[int]:
        return [e.id for e in journal.select(**filters)]

    assert ids() == [1, 2, 3, 4]
    assert ids(service="a") == [1, 2]
    assert ids(method="get") == [1, 3, 4]
    assert ids(path="/jobs") == [1, 2, 4]
    assert ids(path="/jobs/") == [1]
    assert ids(status=404) == [3]
    assert ids(service="a", method="GET", status=200) == [1]
    assert ids(service="a", status=404) == []


def test_an_entry_is_a_plain_dict() -> None:
    journal = Journal(JournalSpec())
    entry(journal, raw_headers=((b"h", b"v"),), status=204, fault="f")
    document = next(iter(journal)).as_dict()
    assert document["id"] == 1
    assert (document["status"], document["fault"], document["headers"]) == (204, "f", {"h": "v"})


def test_headers_read_back_as_sent() -> None:
    journal = Journal(JournalSpec())
    sent = ((b"accept", b"a"), (b"x-when", b"at: 10:30"), (b"accept", b"b"), (b"x-empty", b""))
    entry(journal, raw_headers=sent)
    entry(journal, raw_headers=())
    first, second = journal
    assert first.headers == {"accept": "a, b", "x-when": "at: 10:30", "x-empty": ""}
    assert second.headers == {}


# -- masking -------------------------------------------------------------------------------------


def test_credential_headers_keep_their_scheme_only() -> None:
    masked = mask_headers(
        [
            (b"Authorization", b"Bearer abc.def"),
            (b"Proxy-Authorization", b"Basic dXNlcjpwYXNz"),
            (b"X-Api-Key", b"k3y"),
            (b"Content-Type", b"application/json"),
        ]
    )
    assert masked == {
        "authorization": "Bearer ***",
        "proxy-authorization": "Basic ***",
        "x-api-key": "***",
        "content-type": "application/json",
    }


def test_cookies_are_masked_whole() -> None:
    masked = mask_headers([(b"Cookie", b"session=s3cret; theme=dark"), (b"Set-Cookie", b"id=abc; Path=/")])
    assert masked == {"cookie": "***", "set-cookie": "***"}


def test_repeated_headers_are_joined() -> None:
    assert mask_headers([(b"Accept", b"a"), (b"accept", b"b")]) == {"accept": "a, b"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("grant_type=password&password=hunter2&user=u", "grant_type=password&password=***&user=u"),
        ("client_id=c&client_secret=s3&scope=x", "client_id=c&client_secret=***&scope=x"),
        ("refresh_token=r1&ACCESS_TOKEN=a1", "refresh_token=***&ACCESS_TOKEN=***"),
        ("sv=2025-11-05&sr=c&sig=abc%3D&se=2030", "sv=2025-11-05&sr=c&sig=***&se=2030"),
        ("design=1&signature=x", "design=1&signature=x"),
        ('{"password": "hunter2", "user": "u"}', '{"password": "***", "user": "u"}'),
        ('{"Token":"t1","secret" : "s"}', '{"Token":"***","secret" : "***"}'),
        ('{"password": "a\\"b\\\\", "user": "u"}', '{"password": "***", "user": "u"}'),
        ('{"url": "https://a/b?sv=1&sig=xyz"}', '{"url": "https://a/b?sv=1&sig=***"}'),
        ('{"tokens": 3, "name": "token"}', '{"tokens": 3, "name": "token"}'),
        ('{"client-secret": "s3", "x-api-token":"t"}', '{"client-secret": "***", "x-api-token":"***"}'),
        ("client-secret=s3&x=1", "client-secret=***&x=1"),
        ("u=https%3A%2F%2Fa%3Fsig%3Dab%2Bc%253D%26se%3D2", "u=https%3A%2F%2Fa%3Fsig%3D***%26se%3D2"),
        ("src=https%3A%2F%2Fa%2Fb%3Fsig%3dabc", "src=https%3A%2F%2Fa%2Fb%3Fsig%3d***"),
        ('{"url": "https%3A%2F%2Fa%3Fsig%3Dxyz"}', '{"url": "https%3A%2F%2Fa%3Fsig%3D***"}'),
        ("design%3D1%26signature%3Dx", "design%3D1%26signature%3Dx"),
    ],
)
def test_secrets_in_bodies_and_query_strings_are_masked(text: str, expected: str) -> None:
    assert mask_body(text) == expected


# -- the middleware ------------------------------------------------------------------------------


class FakeHost:
    """Just what `record_request` asks of a host."""

    def __init__(self, spec: JournalSpec) -> None:
        self.world = SimpleNamespace(journal=Journal(spec), clock=ManualClock(START))
        self.console = None
        self.metrics = Metrics()

    def service_for(self, path: str) -> str | None:
        return "svc" if path.startswith("/svc/") else None


async def token(request: Request) -> Response:
    await request.body()
    request.scope["emulator.fault"] = "rule-1"
    return PlainTextResponse("no", status_code=401)


def post(host: FakeHost, url: str, **kwargs: Any) -> httpx.Response:
    app = record_request(Starlette(routes=[Route("/svc/token", token, methods=["POST"])]), host)  # type: ignore[arg-type]  # a stand-in for Host

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator") as c:
            return await c.post(url, **kwargs)

    return asyncio.run(send())


def test_the_middleware_records_a_masked_request_and_its_answer() -> None:
    host = FakeHost(JournalSpec(body_excerpt=1000))
    response = post(
        host,
        "/svc/token?sig=abc&x=1",
        content=b"grant_type=client_credentials&client_secret=s3",
        headers={"Authorization": "Basic dTpw", "Cookie": "session=zz"},
    )
    assert response.status_code == 401
    (recorded,) = host.world.journal
    assert (recorded.service, recorded.method, recorded.path) == ("svc", "POST", "/svc/token")
    assert recorded.time == START.isoformat()
    assert recorded.query == "sig=***&x=1"
    assert recorded.headers["authorization"] == "Basic ***"
    assert recorded.headers["cookie"] == "***"
    assert recorded.body == "grant_type=client_credentials&client_secret=***"
    assert (recorded.status, recorded.fault) == (401, "rule-1")
    assert recorded.duration_ms >= 0


def test_the_middleware_keeps_only_an_excerpt_of_the_body() -> None:
    host = FakeHost(JournalSpec(body_excerpt=10))
    post(host, "/svc/token", content=b"0123456789abcdef")
    assert next(iter(host.world.journal)).body == "0123456789"


def test_the_excerpt_spans_a_body_sent_in_chunks() -> None:
    host = FakeHost(JournalSpec(body_excerpt=10))

    async def chunks() -> AsyncIterator[bytes]:
        for chunk in (b"0123", b"4567", b"89ab", b"cdef"):
            yield chunk

    post(host, "/svc/token", content=chunks())
    assert next(iter(host.world.journal)).body == "0123456789"


async def refuse_unread(request: Request) -> Response:
    return PlainTextResponse("no credentials", status_code=401)


async def echo(request: Request) -> Response:
    return Response(await request.body())


def serve(host: FakeHost, method: str, url: str, **kwargs: Any) -> httpx.Response:
    routes = [
        Route("/svc/refuse", refuse_unread, methods=["POST"]),
        Route("/svc/echo", echo, methods=["POST"]),
    ]
    app = record_request(Starlette(routes=routes), host)  # type: ignore[arg-type]  # a stand-in for Host

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator") as c:
            return await c.request(method, url, **kwargs)

    return asyncio.run(send())


async def four_chunks() -> AsyncIterator[bytes]:
    for chunk in (b"0123", b"4567", b"89ab", b"cdef"):
        yield chunk


@pytest.mark.parametrize(
    ("content", "excerpt"),
    [(b"client_id=c&client_secret=s3", "client_id=c&client_secret=***"), (four_chunks, "0123456789")],
    ids=["with-a-length", "chunked"],
)
def test_the_excerpt_is_kept_when_the_service_answers_without_reading_the_body(
    content: Any, excerpt: str
) -> None:
    host = FakeHost(JournalSpec(body_excerpt=10 if callable(content) else 1000))
    response = serve(host, "POST", "/svc/refuse", content=content() if callable(content) else content)
    assert response.status_code == 401
    (recorded,) = host.world.journal
    assert (recorded.body, recorded.status) == (excerpt, 401)


@pytest.mark.parametrize("excerpt", [0, 1, 6, 10, 1000])
def test_the_service_reads_the_same_body_after_the_excerpt_was_taken(excerpt: int) -> None:
    host = FakeHost(JournalSpec(body_excerpt=excerpt))
    assert serve(host, "POST", "/svc/echo", content=four_chunks()).content == b"0123456789abcdef"
    assert serve(host, "POST", "/svc/echo", content=b"0123456789").content == b"0123456789"
    assert [e.body for e in host.world.journal] == ["0123456789abcdef"[:excerpt], "0123456789"[:excerpt]]


def test_a_request_without_a_body_reaches_the_service_before_anything_is_read() -> None:
    events: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        events.append("app")
        await receive()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> dict[str, Any]:
        events.append("receive")
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        pass

    host = FakeHost(JournalSpec())
    for headers in ([], [(b"content-length", b"0")]):
        scope = {"type": "http", "method": "GET", "path": "/svc/jobs/1", "headers": headers}
        asyncio.run(record_request(app, host)(scope, receive, send))  # type: ignore[arg-type]  # a stand-in for Host
    assert events == ["app", "receive", "app", "receive"]
    assert [e.status for e in host.world.journal] == [204, 204]


def test_a_disconnect_met_while_reading_the_excerpt_reaches_the_service() -> None:
    messages = [
        {"type": "http.request", "body": b"0123", "more_body": True},
        {"type": "http.disconnect"},
    ]
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.extend([(await receive())["type"], (await receive())["type"]])

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: Any) -> None:
        pass

    host = FakeHost(JournalSpec())
    scope = {"type": "http", "method": "POST", "path": "/svc/a", "headers": [(b"content-length", b"8")]}
    asyncio.run(record_request(app, host)(scope, receive, send))  # type: ignore[arg-type]  # a stand-in for Host
    assert seen == ["http.request", "http.disconnect"]
    assert [(e.body, e.status) for e in host.world.journal] == [("0123", None)]


def test_the_middleware_records_unknown_paths_without_a_service() -> None:
    host = FakeHost(JournalSpec())
    assert post(host, "/elsewhere").status_code == 404
    (recorded,) = host.world.journal
    assert (recorded.service, recorded.status, recorded.fault) == (None, 404, None)


def test_fields_ending_in_a_secret_word_are_masked_too() -> None:
    assert mask_body("id_token=abc&x=1") == "id_token=***&x=1"
    assert mask_body('{"id_token": "abc", "name": "n"}') == '{"id_token": "***", "name": "n"}'


def test_a_journal_of_size_zero_records_nothing() -> None:
    host = FakeHost(JournalSpec(size=0))
    assert post(host, "/svc/token", data={"a": "b"}).status_code == 401
    assert len(host.world.journal) == 0


def test_the_body_of_a_get_is_not_kept() -> None:
    host = FakeHost(JournalSpec())
    app = record_request(PlainTextResponse("ok"), host)  # type: ignore[arg-type]  # a stand-in for Host

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator") as c:
            return await c.request("GET", "/svc/x", content=b"ignored")

    assert asyncio.run(send()).status_code == 200
    (recorded,) = host.world.journal
    assert (recorded.method, recorded.body, recorded.status) == ("GET", "", 200)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A SAS signature inside a JSON string whose `=` is escaped as \u003d.
        ('{"sourcePath": "https://a/c?sv=1\\u0026sig\\u003dab+c\\u0026se=2"}', "sig\\u003d***\\u0026se=2"),
        # Secret fields whose values are not strings are masked by structure.
        ('{"client_secret": 123456789, "user": "u"}', '{"client_secret": "***", "user": "u"}'),
        ('{"password": ["hunter2"], "n": [1]}', '{"password": "***", "n": [1]}'),
        ('[{"auth": {"token": {"v": 1}}}]', '[{"auth": {"token": "***"}}]'),
    ],
)
def test_secrets_are_masked_whatever_form_they_take(text: str, expected: str) -> None:
    assert expected in mask_body(text)
    for secret in ("ab+c", "123456789", "hunter2", '"v"'):
        assert secret not in mask_body(text)


def test_every_credential_header_any_service_takes_is_masked() -> None:
    sent = [(b"X-Auth-Token", b"od-1"), (b"Macaroon", b"m-2"), (b"X-Amz-Security-Token", b"s-3")]
    sent += [(b"X-Onedata-Consumer-Token", b"c-4"), (b"Cookie2", b"k=5")]
    assert set(mask_headers(sent).values()) == {"***"}


def test_a_record_holds_an_entrys_first_fields_in_order() -> None:
    assert tuple(JournalEntry.__dataclass_fields__)[: len(RECORDED)] == RECORDED
    positions = {"service": SERVICE, "method": METHOD, "status": STATUS, "fault": FAULT, "endpoint": ENDPOINT}
    assert {name: RECORDED[at] for name, at in positions.items()} == {name: name for name in positions}
    entry = JournalEntry(7, START, "svc", "GET", "/a", b"q=1", [(b"h", b"v")], b"", 200, "f", 0.5, "e")
    assert JournalEntry.of(entry.record()) == entry
    assert JournalEntry.of(entry) is entry


def test_a_request_is_journaled_once_answered() -> None:
    host = FakeHost(JournalSpec())
    answer = asyncio.Event()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await answer.wait()
        await send({"type": "http.response.start", "status": 202, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def send(message: Any) -> None:
        pass

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def run() -> list[JournalEntry]:
        scope = {"type": "http", "method": "GET", "path": "/svc/jobs/1", "headers": []}
        request = asyncio.create_task(record_request(app, host)(scope, receive, send))  # type: ignore[arg-type]  # a stand-in for Host
        await asyncio.sleep(0)
        in_flight = list(host.world.journal)
        answer.set()
        await request
        return in_flight

    assert asyncio.run(run()) == []
    assert [(e.id, e.path, e.status) for e in host.world.journal] == [(1, "/svc/jobs/1", 202)]


def test_an_app_that_notes_its_status_gets_the_servers_own_send() -> None:
    host = FakeHost(JournalSpec())
    given: list[Any] = []

    class Noting:
        notes_status = True

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            given.append(send)
            scope[STATUS_KEY] = 418
            await send({"type": "http.response.start", "status": 418, "headers": []})

    async def send(message: Any) -> None:
        pass

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": "GET", "path": "/svc/tea", "headers": []}
    asyncio.run(record_request(Noting(), host)(scope, receive, send))  # type: ignore[arg-type]  # a stand-in for Host
    assert given == [send]
    assert [e.status for e in host.world.journal] == [418]


def test_answered_requests_are_counted_a_batch_at_a_time_and_whenever_read() -> None:
    host = FakeHost(JournalSpec(size=5))
    for _ in range(TALLY_EVERY + 2):
        serve(host, "POST", "/svc/refuse")
    assert len(host.metrics.answered) == 2  # the first batch was counted as it filled up
    assert host.metrics.requests_by_name() == {("svc", "refuse_unread", "POST", "401"): TALLY_EVERY + 2}
    assert host.metrics.answered == []
