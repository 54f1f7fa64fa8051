"""`InProcessTransport`: a synchronous httpx transport that calls the ASGI app directly.

httpx's own `ASGITransport` is asynchronous; this one runs it on a private event loop in a background
thread (an anyio blocking portal), so plain synchronous tests and client libraries built on httpx can
use the emulator without a socket. Like `ASGITransport`, it runs no lifespan.
"""

from __future__ import annotations

import contextlib
from typing import Any

import anyio.from_thread
import httpx

__all__ = ["InProcessTransport"]


class InProcessTransport(httpx.BaseTransport):
    """Send each request to an ASGI app in this process; close it to stop its event loop."""

    def __init__(self, app: Any) -> None:
        self._inner = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        self._stack = contextlib.ExitStack()
        self._portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal())

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        request = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        response, content = self._portal.call(self._send, request)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=content,
            request=request,
            extensions=response.extensions,
        )

    async def _send(self, request: httpx.Request) -> tuple[httpx.Response, bytes]:
        response = await self._inner.handle_async_request(request)
        return response, await response.aread()

    def close(self) -> None:
        self._stack.close()
