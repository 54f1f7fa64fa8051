"""The in-process transport: the scope a server would build, streamed answers, disconnects, errors."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest
from starlette.responses import PlainTextResponse, StreamingResponse

from emulators.core.types import Receive, Scope, Send
from emulators.testing.transport import BUFFERED_MESSAGES, InProcessTransport


def client_for(app: Any) -> httpx.Client:
    return httpx.Client(transport=InProcessTransport(app), base_url="http://emulator.test:8700")


@pytest.fixture
def seen() -> list[Any]:
    """What the app under test saw or did, in order."""
    return []


def test_the_app_gets_the_scope_and_body_a_server_would_give_it(seen: list[Any]) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)
        seen.append(await receive())
        await send({"type": "http.response.start", "status": 201, "headers": [(b"x-answer", b"yes")]})
        await send({"type": "http.response.body", "body": b"made"})

    with client_for(app) as client:
        response = client.post("/jobs/a%20b?x=1&y=%2F", content=b"payload", headers={"X-Thing": "t"})
    assert (response.status_code, response.headers["x-answer"], response.content) == (201, "yes", b"made")
    scope, message = seen
    assert (scope["type"], scope["method"], scope["scheme"], scope["http_version"]) == (
        "http",
        "POST",
        "http",
        "1.1",
    )
    assert (scope["path"], scope["raw_path"], scope["query_string"]) == (
        "/jobs/a b",
        b"/jobs/a%20b",
        b"x=1&y=%2F",
    )
    assert (b"x-thing", b"t") in scope["headers"]
    assert scope["server"] == ("emulator.test", 8700)
    assert message == {"type": "http.request", "body": b"payload", "more_body": False}


def test_a_long_answer_streams_and_the_app_waits_for_the_reader(seen: list[Any]) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(100):
            seen.append(i)
            yield f"{i},".encode()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/settle":
            # Answers once every other task on the loop is blocked: the report's as far as it can go.
            await anyio.wait_all_tasks_blocked()
            await PlainTextResponse("settled")(scope, receive, send)
        else:
            await StreamingResponse(chunks())(scope, receive, send)

    with client_for(app) as client, client.stream("GET", "/report") as response:
        parts = response.iter_raw()
        assert next(parts) == b"0,"
        assert client.get("/settle").text == "settled"
        # Held back by the bounded buffer, not run to its end.
        assert 1 < len(seen) <= BUFFERED_MESSAGES + 3
        rest = b"".join(parts)
    assert rest == b"".join(f"{i},".encode() for i in range(1, 100))
    assert len(seen) == 100


def endless_ticks(stopped: threading.Event) -> Any:
    """An app that streams `tick` lines until it is stopped, and says when it has stopped."""

    async def ticks() -> AsyncIterator[bytes]:
        while True:
            yield b"tick\n"

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await StreamingResponse(ticks())(scope, receive, send)
        finally:
            stopped.set()

    return app


def test_closing_an_answer_early_stops_the_app() -> None:
    stopped = threading.Event()
    with client_for(endless_ticks(stopped)) as client:
        with client.stream("GET", "/events") as response:
            parts = response.iter_raw()
            assert [next(parts), next(parts)] == [b"tick\n", b"tick\n"]
        assert stopped.wait(5), "the app kept streaming after the client closed the response"


def test_closing_the_client_stops_answers_nobody_finished_reading() -> None:
    stopped = threading.Event()
    client = client_for(endless_ticks(stopped))
    response = client.send(client.build_request("GET", "/events"), stream=True)
    assert response.status_code == 200
    client.close()
    assert stopped.is_set()


def test_the_headers_arrive_before_a_first_chunk_that_takes_its_time() -> None:
    release = threading.Event()

    async def late() -> AsyncIterator[bytes]:
        released = await anyio.to_thread.run_sync(release.wait, 5)
        yield b"late" if released else b"the headers waited for the body"

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await StreamingResponse(late(), media_type="text/event-stream")(scope, receive, send)

    with client_for(app) as client, client.stream("GET", "/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        release.set()
        assert response.read() == b"late"


def test_after_the_whole_answer_the_app_hears_a_disconnect(seen: list[Any]) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((await receive())["type"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        seen.append((await receive())["type"])

    with client_for(app) as client:
        assert client.delete("/jobs/1").status_code == 204
    assert seen == ["http.request", "http.disconnect"]


def test_an_answer_without_a_body_message_ends_empty() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 304, "headers": []})

    with client_for(app) as client:
        response = client.get("/x")
    assert (response.status_code, response.content) == (304, b"")


def test_an_exception_before_answering_reaches_the_caller() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("broken handler")

    with client_for(app) as client, pytest.raises(ValueError, match="broken handler"):
        client.get("/x")


def test_an_app_that_never_answers_is_an_error() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()

    with client_for(app) as client, pytest.raises(RuntimeError, match="without sending a response"):
        client.get("/x")


def test_a_response_read_in_chunks_yields_every_byte() -> None:
    body = bytes(range(256)) * 1000

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await StreamingResponse(pieces())(scope, receive, send)

    with client_for(app) as client:
        assert client.get("/blob").content == body


def test_a_script_that_never_closes_its_client_still_exits() -> None:
    script = (
        "import httpx\n"
        "from emulators.app import create_app\n"
        "from emulators.testing.transport import InProcessTransport\n"
        "client = httpx.Client(transport=InProcessTransport(create_app(clock='manual')), base_url='http://e')\n"
        "print(client.get('/_emulator/health').status_code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout.strip()) == (0, "200"), done.stderr
