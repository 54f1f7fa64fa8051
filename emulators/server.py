"""Running the app on a real socket with uvicorn, in the foreground or in a thread.

Our protocol classes put each connection's transport in the request scope (`emulator.transport`),
so a fault rule can close a connection without answering, which plain ASGI cannot express.

They also bound how long a client may hold a connection without finishing its request, as a
production server does: uvicorn closes a connection left idle after a response (keep-alive), but
waits forever for a connection that sends nothing, for the rest of a request's headers, and for the
rest of its body. Each of those waits has a deadline here; on expiry the connection is closed.

With TLS, `issue_certificate` makes a throw-away certificate authority and a server certificate for
the names the server is reached by (with `trustme`, imported only then: plain HTTP never pays for it),
and uvicorn serves HTTPS with it; clients trust the CA's PEM file.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from emulators.core.faults import TRANSPORT_KEY


@dataclass(frozen=True)
class Timeouts:
    """Seconds a client may take, each at most (defaults near those of production servers)."""

    keep_alive: float = 5.0  # idle between a response and the next request (uvicorn's default)
    header: float = 10.0  # from connecting, or a next request's first byte, to its last header
    body: float = 30.0  # between two pieces of a request's body


TLS_CLOSE_GRACE = 1.0  # seconds a closing TLS connection may wait for the client's close_notify


def _with_transport(base: type[HttpToolsProtocol], timeouts: Timeouts) -> type[HttpToolsProtocol]:
    class Protocol(base):  # type: ignore[valid-type, misc]  # a subclass of the class passed in
        deadlines = timeouts

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.timeout_keep_alive = timeouts.keep_alive
            self.deadline: asyncio.TimerHandle | None = None
            inner: Any = self.app  # type: ignore[has-type]  # set by uvicorn's __init__ just above

            async def app(scope: Any, receive: Any, send: Any) -> None:
                scope.setdefault("extensions", {})[TRANSPORT_KEY] = self.transport
                await inner(scope, receive, send)

            self.app = app

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._expect(timeouts.header)  # a connection that never sends a request

        def connection_lost(self, exc: Exception | None) -> None:
            self._expect(None)
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            # Between requests the first byte starts the header deadline (it also stops uvicorn's
            # keep-alive timer); the parser's callbacks below move it on.
            if self.deadline is None and (self.cycle is None or self.cycle.response_complete):
                self._expect(timeouts.header)
            super().data_received(data)

        def on_headers_complete(self) -> None:
            self._expect(timeouts.body)
            super().on_headers_complete()

        def on_body(self, body: bytes) -> None:
            self._expect(timeouts.body)
            super().on_body(body)

        def on_message_complete(self) -> None:
            self._expect(None)
            super().on_message_complete()

        def shutdown(self) -> None:
            super().shutdown()
            # Closing a TLS connection waits for the client's close_notify, which a client that
            # keeps its connection open and unread never sends: the server would not stop. Once
            # what was sent has had time to leave, the connection is dropped.
            if self.transport.is_closing() and self.transport.get_extra_info("sslcontext") is not None:
                self.loop.call_later(TLS_CLOSE_GRACE, self.transport.abort)

        def handle_websocket_upgrade(self) -> None:
            self._expect(None)  # the WebSocket protocol takes the connection over
            super().handle_websocket_upgrade()

        def _expect(self, seconds: float | None) -> None:
            """Replace the deadline: close the connection unless it progresses within `seconds`."""
            if self.deadline is not None:
                self.deadline.cancel()
            self.deadline = None if seconds is None else self.loop.call_later(seconds, self._expire, seconds)

        def _expire(self, seconds: float) -> None:
            self.deadline = None
            cycle = self.cycle
            if self.flow.read_paused or (cycle is not None and cycle.waiting_for_100_continue):
                # The server, not the client, is holding the body back: wait on.
                self._expect(seconds)
            elif not self.transport.is_closing():
                self.transport.close()

    Protocol.__name__ = f"Emulator{base.__name__}"
    return Protocol


@dataclass(frozen=True)
class TLSFiles:
    """The PEM files of a TLS server: the CA clients trust, and the server's certificate and key."""

    ca: Path
    cert: Path
    key: Path


CA_FILE, CERT_FILE, KEY_FILE = "ca.pem", "server.pem", "server.key"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARD_ADDRESSES = ("", "0.0.0.0", "::")


def certificate_names(names: Iterable[str]) -> list[str]:
    """The DNS names and IP addresses a certificate must cover: each of `names` (a host, a
    `host:port`, `[v6]:port` or a URL) without its port, then the loopback names; no wildcard
    address; each once, in order."""
    hosts = [_hostname(name) for name in [*names, *LOOPBACK_NAMES]]
    return list(dict.fromkeys(h for h in hosts if h and h not in WILDCARD_ADDRESSES))


def _hostname(name: str) -> str:
    try:
        return str(ipaddress.ip_address(name.strip("[]")))
    except ValueError:
        pass
    try:
        return urlsplit(name if "//" in name else f"//{name}").hostname or ""
    except ValueError:  # not a host at all (an unclosed bracket): nothing to certify
        return ""


def issue_certificate(directory: Path, names: Iterable[str]) -> TLSFiles:
    """Make a new CA and a server certificate it signs for `names` (see `certificate_names`), and
    write them to `directory` as `ca.pem`, `server.pem` (the chain) and `server.key` (owner-only)."""
    import trustme  # only a TLS server needs it, and it takes a while to import

    ca = trustme.CA(organization_name="transfer-emulators")
    leaf = ca.issue_cert(*certificate_names(names), organization_name="transfer-emulators")
    files = TLSFiles(directory / CA_FILE, directory / CERT_FILE, directory / KEY_FILE)
    files.key.unlink(missing_ok=True)
    files.key.touch(mode=0o600)  # created private before the key is written into it
    leaf.private_key_pem.write_to_path(str(files.key))
    ca.cert_pem.write_to_path(str(files.ca))
    files.cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    return files


def make_config(
    app: Any,
    host: str,
    port: int,
    log_level: str = "warning",
    timeouts: Timeouts = Timeouts(),
    tls: TLSFiles | None = None,
) -> Config:
    """A uvicorn config for the emulator app, serving HTTPS with `tls`'s certificate if given."""
    # uvicorn builds each access-log line even when the log level filters it out: only at info and
    # below is it worth its cost. WebSocket pings stay off: SignalR clients ping at their own level.
    return Config(
        app,
        host=host,
        port=port,
        http=_with_transport(HttpToolsProtocol, timeouts),
        log_level=log_level,
        access_log=log_level in ("info", "debug", "trace"),
        ws_ping_interval=None,
        lifespan="on",
        ssl_certfile=None if tls is None else str(tls.cert),
        ssl_keyfile=None if tls is None else str(tls.key),
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

    With `tls` (from `issue_certificate`) it serves HTTPS, and `server.url` starts with https://.
    """

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        timeouts: Timeouts = Timeouts(),
        tls: TLSFiles | None = None,
    ) -> None:
        self.socket = bind(host, port)
        self.host, self.port = self.socket.getsockname()[:2]
        self.tls = tls
        self.server = uvicorn.Server(make_config(app, host, self.port, timeouts=timeouts, tls=tls))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    @property
    def url(self) -> str:
        scheme = "http" if self.tls is None else "https"
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"{scheme}://{host}:{self.port}"

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
