"""`InProcessTransport`: a synchronous httpx transport that calls the ASGI app directly.

The app runs on a private event loop in a background thread (an anyio blocking portal), so plain
synchronous tests and client libraries built on httpx can use the emulator without a socket. The
response streams: `handle_request` returns once the app has sent the status and headers, and each
body chunk crosses over as the client reads it (a bounded buffer holds the app back), so a
million-row report never sits in memory whole. Closing a response before its end tells the app the
client went away and stops it. Like httpx's `ASGITransport`, it runs no lifespan, and an exception
the app raises before answering is raised to the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any
from urllib.parse import unquote

import anyio
import anyio.abc
import anyio.from_thread
import httpx
from anyio.from_thread import BlockingPortal
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from emulators.core.faults import ConnectionDropped
from emulators.core.types import Message

__all__ = ["InProcessTransport"]

CLIENT = ("127.0.0.1", 50000)
BUFFERED_MESSAGES = 16  # response messages the app may send ahead of the reader


class InProcessTransport(httpx.BaseTransport):
    """Send each request to an ASGI app in this process; close it to stop its event loop."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._unfinished: set[_Exchange] = set()  # answers handed out and not yet closed
        stack = contextlib.ExitStack()
        self._portal = stack.enter_context(anyio.from_thread.start_blocking_portal())
        # Closed by close(), or at interpreter exit for a client nobody closed: later, the loop's
        # thread can no longer run, and stopping it would wait forever.
        self._stop = weakref.finalize(self, _stop, self._portal, stack, self._unfinished)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        exchange = _Exchange(self.app, _scope(request), request.read())
        try:
            # One hand-over for most requests: the task reports back with the status, the headers
            # and the first body chunk, which is the whole body of every small answer.
            exchange.task, start = self._portal.start_task(exchange.run)
        except ConnectionDropped:
            # What a client on a socket sees when a fault rule drops the connection.
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.") from None
        finally:
            if exchange.task is None:  # the app failed before answering
                exchange.inbox.close()
        self._unfinished.add(exchange)
        return httpx.Response(
            start["status"],
            headers=start.get("headers", []),
            stream=_BodyStream(self._portal, exchange, self._unfinished.discard),
            request=request,
        )

    @property
    def portal(self) -> BlockingPortal:
        """The portal to the event loop the app runs on (WebSocket sessions run there too)."""
        return self._portal

    def close(self) -> None:
        self._stop()


def _stop(portal: BlockingPortal, stack: contextlib.ExitStack, unfinished: set[_Exchange]) -> None:
    """Stop the loop; answers nobody read to their end must not keep it, and the caller, waiting."""
    portal.call(portal.stop, True)
    stack.close()
    for exchange in unfinished:
        exchange.inbox.close()
    unfinished.clear()


def _scope(request: httpx.Request) -> dict[str, Any]:
    """The ASGI HTTP scope a server would build for this request."""
    url = request.url
    port = url.port or {"http": 80, "https": 443}[url.scheme]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": url.scheme,
        "path": unquote(url.path),
        "raw_path": url.raw_path.split(b"?", 1)[0],
        "query_string": url.query,
        "root_path": "",
        "headers": [(name.lower(), value) for name, value in request.headers.raw],
        "server": (url.host, port),
        "client": CLIENT,
    }


class _Exchange:
    """One request and its response; `run` is the app's task on the portal's event loop."""

    def __init__(self, app: Any, scope: dict[str, Any], body: bytes) -> None:
        self.app = app
        self.scope = scope
        self.body = body
        self.first_chunk: Message | None = None
        self.outbox: MemoryObjectSendStream[Message]
        self.inbox: MemoryObjectReceiveStream[Message]
        self.outbox, self.inbox = anyio.create_memory_object_stream[Message](BUFFERED_MESSAGES)
        self.task: Future[Any] | None = None
        self.complete = False  # the caller has read the last body chunk

    async def run(self, *, task_status: anyio.abc.TaskStatus[Message]) -> None:
        gone = self.gone = anyio.Event()  # as a server sees it: the answer is out, or the client left
        start: Message | None = None
        reported = False
        body_sent = False

        def report(first_chunk: Message | None) -> None:
            """Hand the caller the status and headers (and the first chunk, when there is one)."""
            nonlocal reported
            if not reported and start is not None:
                reported = True
                self.first_chunk = first_chunk
                task_status.started(start)

        async def receive() -> Message:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": self.body, "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal start
            if gone.is_set():
                return  # like a server: nothing more goes out after the end or once the client left
            last = message["type"] == "http.response.body" and not message.get("more_body", False)
            if start is None:
                start = message
                # Runs only if the app yields to the loop before its first body chunk (a stream
                # that waits for events): then the caller gets the headers without it.
                asyncio.get_running_loop().call_soon(report, None)
            elif not reported:
                report(message)
            else:
                await self.outbox.send(message)
            if last:
                gone.set()

        async with self.outbox:
            await self.app(self.scope, receive, send)
            if start is None:
                raise RuntimeError("the app returned without sending a response")
            report(None)

    async def leave(self) -> None:
        """The client closed the response before its end."""
        self.gone.set()
        await self.inbox.aclose()


class _BodyStream(httpx.SyncByteStream):
    def __init__(
        self,
        portal: BlockingPortal,
        exchange: _Exchange,
        closed: Callable[[_Exchange], None],
    ) -> None:
        self.portal = portal
        self.exchange = exchange
        self.closed = closed

    def __iter__(self) -> Iterator[bytes]:
        message = self.exchange.first_chunk or self._next()
        while message is not None:
            if message["type"] == "http.response.body":
                if chunk := message.get("body", b""):
                    yield chunk
                if not message.get("more_body", False):
                    self.exchange.complete = True
                    return
            message = self._next()

    def _next(self) -> Message | None:
        try:
            return self.portal.call(self.exchange.inbox.receive)
        except anyio.EndOfStream:
            self.exchange.complete = True  # the app has finished
            return None

    def close(self) -> None:
        exchange, task = self.exchange, self.exchange.task
        if task is None:
            return
        exchange.task = None
        self.closed(exchange)
        if exchange.complete:
            try:
                task.result()  # the app ends once its answer is out; raises what it raised after it
            finally:
                exchange.inbox.close()
        else:
            self.portal.call(exchange.leave)
            task.cancel()
