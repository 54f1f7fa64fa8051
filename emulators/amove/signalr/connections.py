"""The hub's connections: ids handed out by negotiate, and which transport holds each one.

Owns: `ConnectionRegistry`, one per hub (it lives in the World, so a reset forgets every
connection), which answers negotiate, and says whether a transport request may attach to a
connection or which HTTP status refuses it (TransportProtocols.md; reference C2):

- no `id`: a WebSocket gets a fresh connection (the client skipped negotiation); Server-Sent
  Events, Long Polling and the HTTP POST half need one (400);
- an `id` may be the connection token or the connection id, since signalrcore and pysignalr send
  the id even where negotiate version 1 gave them a token; an unknown one is 404;
- a connection keeps the transport it first used (another one is 400); a second WebSocket or event
  stream while the first is attached is 409; a new poll replaces the pending one (the hub ends the
  old poll with 204);
- the HTTP POST half sends to Server-Sent Events and Long Polling connections (a WebSocket connection
  refuses it with 405); bytes sent before the transport has started wait for it in the connection
  (`keep`, up to `HELD_LIMIT`; signalrcore's poller sends its handshake before its first poll), and
  DELETE ends only polling ones (400 for the others), as the ASP.NET Core server answers;
- a connection no request holds (negotiated and never used, or between two polls) is forgotten
  after `DISCONNECT_TIMEOUT`: `release` hands out a mark, and `expire` with that mark removes the
  connection only if nothing has held it since.

Ids come from the caller's seeded source; nothing here makes its own. Must not do I/O or read a
clock: the hub decides when the timeout has passed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, Protocol

from emulators.amove.signalr.negotiate import (
    ALL_TRANSPORTS,
    NegotiateRefusal,
    Transport,
    negotiate_document,
    negotiate_version,
)

DISCONNECT_TIMEOUT: Final = 15.0
"""Seconds an idle connection is kept (ASP.NET Core's default `DisconnectTimeout`)."""

HELD_LIMIT: Final = 64 * 1024
"""Bytes a connection holds for a transport that has not started (ASP.NET Core's default
`ApplicationMaxBufferSize`, where its pipe stops taking more)."""


class IdSource(Protocol):
    """Where connection ids and tokens come from: the World's seeded ids."""

    def uuid(self) -> str: ...


@dataclass
class Connection:
    """One logical hub connection; `attached` while a transport request is holding it.

    `session` is whatever the hub keeps for the connection while its transport serves it (the hub
    protocol's state, the messages waiting for a poll); the registry never looks at it.
    """

    connection_id: str
    connection_token: str
    negotiate_version: int
    transport: Transport | None = None
    attached: bool = False
    session: object | None = None
    idle_mark: int = 0
    held: bytearray = field(default_factory=bytearray)

    def keep(self, data: bytes) -> bool:
        """Hold bytes the client sent before the transport started; False if they do not fit."""
        if len(self.held) + len(data) > HELD_LIMIT:
            return False
        self.held += data
        return True

    def take_held(self) -> bytes:
        """The bytes held so far, for the transport's session to read first."""
        data = bytes(self.held)
        self.held.clear()
        return data


@dataclass(frozen=True)
class Refusal:
    """A transport request refused: the HTTP status to answer with and a short reason for the body."""

    status: int
    reason: str


class ConnectionRegistry:
    """Every live connection of one hub, found by connection id or connection token."""

    def __init__(self, ids: IdSource) -> None:
        self._ids = ids
        self._by_id: dict[str, Connection] = {}

    def __len__(self) -> int:
        return len({id(connection) for connection in self._by_id.values()})

    def negotiate(
        self, requested_version: str | None, transports: Iterable[Transport] = ALL_TRANSPORTS
    ) -> dict[str, object]:
        """Answer `POST negotiate`: a new connection's document, or the error document."""
        version = negotiate_version(requested_version)
        if isinstance(version, NegotiateRefusal):
            return version.document()
        connection = self._create(version)
        return negotiate_document(version, connection.connection_id, connection.connection_token, transports)

    def find(self, connection_id: str) -> Connection | None:
        """The connection this id or token names, if it is still open."""
        return self._by_id.get(connection_id)

    def attach(self, connection_id: str | None, transport: Transport) -> Connection | Refusal:
        """Let a transport request hold the connection, or say why not (see the module rules)."""
        if not connection_id and transport is Transport.WEB_SOCKETS:
            return self._hold(self._create(0), transport)
        connection = self._named(connection_id)
        if isinstance(connection, Refusal):
            return connection
        if connection.transport not in (None, transport):
            return Refusal(400, "Cannot change transports mid-connection")
        if connection.attached and transport is not Transport.LONG_POLLING:
            return Refusal(409, f"Connection already has an active {transport.value} transport")
        return self._hold(connection, transport)

    def sender(self, connection_id: str | None) -> Connection | Refusal:
        """The connection an HTTP POST (the client-to-server half of SSE and polling) sends to."""
        connection = self._named(connection_id)
        if isinstance(connection, Refusal):
            return connection
        if connection.transport is Transport.WEB_SOCKETS:
            return Refusal(405, "POST requests are not allowed for WebSocket connections.")
        return connection

    def terminator(self, connection_id: str | None) -> Connection | Refusal:
        """The connection an HTTP DELETE ends: only a Long Polling one."""
        connection = self._named(connection_id)
        if isinstance(connection, Refusal):
            return connection
        if connection.transport is not Transport.LONG_POLLING:
            return Refusal(400, "Cannot terminate this connection using the DELETE endpoint.")
        return connection

    def release(self, connection: Connection) -> int:
        """A transport request ended but the connection goes on (a poll returned): the mark to
        `expire` it with if no request holds it again within the disconnect timeout."""
        connection.attached = False
        connection.idle_mark += 1
        return connection.idle_mark

    def expire(self, connection: Connection, mark: int) -> bool:
        """Forget a connection that nothing has held since `release` gave `mark` (or since negotiate,
        with mark 0); whether it was forgotten."""
        if connection.attached or connection.idle_mark != mark or self.find(connection.connection_id) is None:
            return False
        self.close(connection)
        return True

    def close(self, connection: Connection) -> None:
        """The connection is over: its id and token are unknown from now on."""
        connection.attached = False
        self._by_id.pop(connection.connection_id, None)
        self._by_id.pop(connection.connection_token, None)

    def _named(self, connection_id: str | None) -> Connection | Refusal:
        if not connection_id:
            return Refusal(400, "Connection ID required")
        connection = self._by_id.get(connection_id)
        if connection is None:
            return Refusal(404, "No Connection with that ID")
        return connection

    def _create(self, version: int) -> Connection:
        connection_id = self._ids.uuid()
        # Version 0 has no separate token: the connection id is what goes in `id`.
        token = self._ids.uuid() if version >= 1 else connection_id
        connection = Connection(connection_id, token, version)
        self._by_id[connection_id] = connection
        self._by_id[token] = connection
        return connection

    def _hold(self, connection: Connection, transport: Transport) -> Connection:
        connection.transport = transport
        connection.attached = True
        return connection
