"""`InProcessWebSocket`: a synchronous WebSocket client over the ASGI app, with no socket.

It runs the app's WebSocket scope on the event loop of an `InProcessTransport`, so a test opens a
hub connection the way it sends HTTP requests to the `emulator` fixture:

    with emulator.websocket("/api/rm", headers={"Authorization": "Bearer ..."}) as ws:
        ws.send_text('{"protocol":"json","version":1}\\x1e')
        print(ws.receive_text())

Messages stream both ways as they would over a socket. A handshake the app refuses raises
`WebSocketRefused` with the status the client would get (403 when the app closes before accepting,
or the status of a denial response); a close from the app raises `WebSocketClosed` on the next
receive. Each receive waits at most `timeout` real seconds (a safety net against a test that waits
for a message that never comes; virtual time does not move on its own in tests).
"""

from __future__ import annotations

import math
from concurrent.futures import Future
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

import anyio
from anyio.from_thread import BlockingPortal

from emulators.core.types import Message

__all__ = ["InProcessWebSocket", "WebSocketClosed", "WebSocketRefused"]

CLIENT = ("127.0.0.1", 50001)
RECEIVE_TIMEOUT = 10.0  # real seconds


class WebSocketRefused(Exception):
    """The app did not accept the handshake."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        super().__init__(f"the WebSocket handshake was refused with status {status}")
        self.status = status
        self.headers = headers
        self.body = body


class WebSocketClosed(Exception):
    """The app closed the connection."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"the WebSocket was closed with code {code} {reason}".strip())
        self.code = code
        self.reason = reason


class InProcessWebSocket:
    """One WebSocket connection to an ASGI app run by `portal`."""

    def __init__(
        self,
        portal: BlockingPortal,
        app: Any,
        url: str,
        headers: dict[str, str] | None = None,
        subprotocols: list[str] | None = None,
        timeout: float = RECEIVE_TIMEOUT,
    ) -> None:
        self._portal = portal
        self.timeout = timeout
        self._to_app, self._app_inbox = anyio.create_memory_object_stream[Message](math.inf)
        self._from_app, self._inbox = anyio.create_memory_object_stream[Message](math.inf)
        scope = _scope(url, headers, subprotocols)
        self._task: Future[Any] = portal.start_task_soon(self._run, app, scope)
        self._to_app.send_nowait({"type": "websocket.connect"})
        first = self._next()
        if first["type"] == "websocket.http.response.start":
            body = b""
            while True:
                part = self._next()
                body += part.get("body", b"")
                if not part.get("more_body", False):
                    break
            self._finish()
            raise WebSocketRefused(first["status"], list(first.get("headers", [])), body)
        if first["type"] != "websocket.accept":
            self._finish()
            raise WebSocketRefused(403, [], b"")
        self.subprotocol: str | None = first.get("subprotocol")
        self.accept_headers: list[tuple[bytes, bytes]] = list(first.get("headers", []))
        self.closed = False

    # -- the app's side ----------------------------------------------------------------------------

    async def _run(self, app: Any, scope: dict[str, Any]) -> None:
        """The app's handler; when it ends (or fails), the client hears the connection close."""
        try:
            await app(scope, self._app_receive, self._app_send)
        finally:
            await self._from_app.aclose()

    async def _app_receive(self) -> Message:
        try:
            return await self._app_inbox.receive()
        except anyio.EndOfStream:
            return {"type": "websocket.disconnect", "code": 1006}

    async def _app_send(self, message: Message) -> None:
        try:
            await self._from_app.send(message)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            raise OSError("the client has gone") from None

    # -- the client's side -------------------------------------------------------------------------

    def _next(self) -> Message:
        async def receive() -> Message:
            with anyio.fail_after(self.timeout):
                try:
                    return await self._inbox.receive()
                except anyio.EndOfStream:
                    return {"type": "websocket.close", "code": 1006}

        return self._portal.call(receive)

    def receive(self) -> str | bytes:
        """The next message from the app (text or bytes); WebSocketClosed once it has closed."""
        if self.closed:
            raise WebSocketClosed(1006, "the connection is closed")
        message = self._next()
        if message["type"] == "websocket.close":
            self.closed = True
            raise WebSocketClosed(message.get("code", 1000), message.get("reason") or "")
        text = message.get("text")
        return text if text is not None else bytes(message.get("bytes") or b"")

    def receive_text(self) -> str:
        message = self.receive()
        if not isinstance(message, str):
            raise TypeError("expected a text message, got bytes")
        return message

    def receive_bytes(self) -> bytes:
        message = self.receive()
        if not isinstance(message, bytes):
            raise TypeError("expected a binary message, got text")
        return message

    def send_text(self, text: str) -> None:
        self._send({"type": "websocket.receive", "text": text})

    def send_bytes(self, data: bytes) -> None:
        self._send({"type": "websocket.receive", "bytes": data})

    def _send(self, message: Message) -> None:
        if self.closed:
            raise WebSocketClosed(1006, "the connection is closed")
        self._portal.call(self._to_app.send, message)

    def close(self, code: int = 1000) -> None:
        """Close from the client's side and wait for the app's handler to end."""
        if not self.closed:
            self.closed = True
            self._portal.call(self._to_app.send, {"type": "websocket.disconnect", "code": code})
        self._finish()

    def _finish(self) -> None:
        self._portal.call(self._to_app.aclose)
        try:
            self._task.result(timeout=self.timeout)
        except TimeoutError:
            self._task.cancel()
        finally:
            for stream in (self._inbox, self._app_inbox, self._from_app):
                self._portal.call(stream.aclose)

    def __enter__(self) -> InProcessWebSocket:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _scope(url: str, headers: dict[str, str] | None, subprotocols: list[str] | None) -> dict[str, Any]:
    """The ASGI WebSocket scope a server would build (with the denial-response extension, as
    uvicorn's WebSocket implementation offers)."""
    parts = urlsplit(url)
    raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    return {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": "ws",
        "path": unquote(parts.path),
        "raw_path": parts.path.encode("latin-1"),
        "query_string": parts.query.encode("latin-1"),
        "root_path": "",
        "headers": [(b"host", b"emulator.test"), *raw_headers],
        "server": ("emulator.test", 80),
        "client": CLIENT,
        "subprotocols": subprotocols or [],
        "extensions": {"websocket.http.response": {}},
    }
