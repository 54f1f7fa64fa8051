"""The ASP.NET Core SignalR server protocol, as pure functions and values (sans I/O).

No Python server library speaks SignalR, so this package holds the whole protocol once. It grows
piece by piece; so far: the hub messages (`messages`) and their JSON and MessagePack encodings
(`json_protocol`, `msgpack_protocol`, with the buffering of incoming frames in `framing`). The hub
endpoint only moves bytes between a transport and these functions.

Nothing here opens sockets, imports Starlette or asyncio, reads the clock or makes random ids: the
caller passes in bytes, times and an id source, and gets back bytes, documents and decisions.
Specifications: dotnet/aspnetcore `src/SignalR/docs/specs/HubProtocol.md` and
`TransportProtocols.md`.
"""

from __future__ import annotations

from emulators.amove.signalr.framing import MAX_MESSAGE_SIZE, MessageDecoder
from emulators.amove.signalr.json_protocol import RECORD_SEPARATOR, JsonHubProtocol
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

__all__ = [
    "MAX_MESSAGE_SIZE",
    "NO_RESULT",
    "RECORD_SEPARATOR",
    "Ack",
    "CancelInvocation",
    "Close",
    "Completion",
    "HubException",
    "HubMessage",
    "HubMethod",
    "Invocation",
    "JsonHubProtocol",
    "MessageDecoder",
    "MessagePackHubProtocol",
    "MessageType",
    "Ping",
    "ProtocolError",
    "Sequence",
    "StreamInvocation",
    "StreamItem",
    "hub_reply",
]
