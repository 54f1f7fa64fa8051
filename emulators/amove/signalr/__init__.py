"""The ASP.NET Core SignalR server protocol, as pure functions and values (sans I/O).

No Python server library speaks SignalR, so this package holds the whole protocol once: negotiate
(`negotiate`), the connections registry (`connections`), the handshake (`handshake`), the hub
messages (`messages`), their JSON and MessagePack encodings (`json_protocol`, `msgpack_protocol`,
with the shared buffering in `framing`), the keep-alive policy (`keepalive`), and what the two HTTP
transports write: events (`server_sent_events`) and poll answers (`long_polling`). The hub endpoint
only moves bytes between a transport and these functions.

Nothing here opens sockets, imports Starlette or asyncio, reads the clock or makes random ids: the
caller passes in bytes, times and an id source, and gets back bytes, documents and decisions.
Specifications: dotnet/aspnetcore `src/SignalR/docs/specs/HubProtocol.md` and
`TransportProtocols.md`.
"""

from __future__ import annotations

from emulators.amove.signalr.connections import Connection, ConnectionRegistry, IdSource, Refusal
from emulators.amove.signalr.framing import MAX_MESSAGE_SIZE, MessageDecoder
from emulators.amove.signalr.handshake import (
    HUB_PROTOCOLS,
    Handshake,
    HandshakeRequest,
    HubProtocol,
    TransferFormat,
    read_handshake,
)
from emulators.amove.signalr.json_protocol import RECORD_SEPARATOR, JsonHubProtocol
from emulators.amove.signalr.keepalive import KeepAlive
from emulators.amove.signalr.messages import (
    NO_RESULT,
    Ack,
    CancelInvocation,
    Close,
    Completion,
    HubException,
    HubMessage,
    HubMethod,
    Invocation,
    MessageType,
    Ping,
    ProtocolError,
    Sequence,
    StreamInvocation,
    StreamItem,
    hub_reply,
)
from emulators.amove.signalr.msgpack_protocol import MessagePackHubProtocol
from emulators.amove.signalr.negotiate import (
    ALL_TRANSPORTS,
    TRANSFER_FORMATS,
    NegotiateRefusal,
    Transport,
    negotiate_document,
    negotiate_version,
)

__all__ = [
    "ALL_TRANSPORTS",
    "HUB_PROTOCOLS",
    "MAX_MESSAGE_SIZE",
    "NO_RESULT",
    "RECORD_SEPARATOR",
    "TRANSFER_FORMATS",
    "Ack",
    "CancelInvocation",
    "Close",
    "Completion",
    "Connection",
    "ConnectionRegistry",
    "Handshake",
    "HandshakeRequest",
    "HubException",
    "HubMessage",
    "HubMethod",
    "HubProtocol",
    "IdSource",
    "Invocation",
    "JsonHubProtocol",
    "KeepAlive",
    "MessageDecoder",
    "MessagePackHubProtocol",
    "MessageType",
    "NegotiateRefusal",
    "Ping",
    "ProtocolError",
    "Refusal",
    "Sequence",
    "StreamInvocation",
    "StreamItem",
    "TransferFormat",
    "Transport",
    "hub_reply",
    "negotiate_document",
    "negotiate_version",
    "read_handshake",
]
