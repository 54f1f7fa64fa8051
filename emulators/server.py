"""Running the app on a real socket with uvicorn, in the foreground or in a thread.

Our protocol classes put each connection's transport in the request scope (`emulator.transport`),
so a fault rule can close a connection without answering, which plain ASGI cannot express.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

import uvicorn
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from emulators.core.faults import TRANSPORT_KEY


def _with_transport(base: type[HttpToolsProtocol]) -> type[HttpToolsProtocol]:
    class Protocol(base):  # type: ignore[valid-type, misc]  # a subclass of the class passed in
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            inner: Any = self.app  # type: ignore[has-type]  # set by uvicorn's __init__ just above

            async def app(scope: Any, receive: Any, send: Any) -> None:
                scope.setdefault("extensions", {})[TRANSPORT_KEY] = self.transport
                await inner(scope, receive, send)

            self.app = app

    Protocol.__name__ = f"Emulator{base.__name__}"
    return Protocol


PROTOCOL = _with_transport(HttpToolsProtocol)


def make_config(app: Any, host: str, port: int, log_level: str = "warning") -> Config:
    """A uvicorn config for the emulator app."""
    # uvicorn builds each access-log line even when the log level filters it out: only at info and
    # below is it worth its cost. WebSocket pings stay off: SignalR clients ping at their own level.
    return Config(
        app,
        host=host,
        port=port,
        http=PROTOCOL,
        log_level=log_level,
        access_log=log_level in ("info", "debug", "trace"),
        ws_ping_interval=None,
        lifespan="on",
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one.

    Raises OSError, having closed the socket, when the host does not resolve or the address is taken.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio only turns Nagle's algorithm off (TCP_NODELAY) on TCP-protocol
    # sockets, and with it on every small response waits ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class ThreadedServer:
    """uvicorn in a background thread, for tests that need a real socket.

    >>> server = ThreadedServer(app).start()   # server.url is e.g. http://127.0.0.1:40123
    >>> server.stop()
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self.socket = bind(host, port)
        self.host, self.port = self.socket.getsockname()[:2]
        self.server = uvicorn.Server(make_config(app, host, self.port))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ThreadedServer:
        """Start serving; returns once the server accepts connections."""
        self.thread.start()
        waiter = threading.Event()
        for _ in range(int(timeout / 0.01)):
            if self.server.started or not self.thread.is_alive():
                break
            waiter.wait(0.01)
        if not self.server.started:
            raise RuntimeError("the emulator server did not start")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.socket.close()
