"""The SignalR hub messages (types 1 to 9) as typed values, and the replies a hub builds from them.

Owns: one frozen dataclass per message type of the hub protocol, with the optional fields the
specification allows; `ProtocolError`, the one error both wire encodings raise for input they
refuse; `hub_reply`, the Completion a hub owes a client invocation.

Conventions: payload values (arguments, stream items, results) are plain `object`s, since only the
hub knows what a target expects. "Absent" is an empty tuple or mapping for stream ids and headers,
`None` for optional strings, and the `NO_RESULT` sentinel for a Completion without a result, because
a `null` result is a real result. Nothing here encodes bytes or touches a socket; the encodings live
in `json_protocol` and `msgpack_protocol`.
"""

from __future__ import annotations

import collections.abc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from typing import Final


class MessageType(IntEnum):
    """The `type` number each hub message carries on the wire (HubProtocol.md, "JSON Encoding")."""

    INVOCATION = 1
    STREAM_ITEM = 2
    COMPLETION = 3
    STREAM_INVOCATION = 4
    CANCEL_INVOCATION = 5
    PING = 6
    CLOSE = 7
    ACK = 8
    SEQUENCE = 9


class _NoResult(Enum):
    NO_RESULT = "no result"


NO_RESULT: Final = _NoResult.NO_RESULT
"""A Completion's `result` when the method returned nothing (void); `None` would be a null result."""

Headers = Mapping[str, str]


@dataclass(frozen=True)
class Invocation:
    """Call `target` on the peer; without an `invocation_id` the caller wants no reply."""

    target: str
    arguments: collections.abc.Sequence[object]
    invocation_id: str | None = None
    stream_ids: tuple[str, ...] = ()
    headers: Headers = field(default_factory=dict)


@dataclass(frozen=True)
class StreamItem:
    """One item of a stream: a server stream's result or a client upload stream's value."""

    invocation_id: str
    item: object
    headers: Headers = field(default_factory=dict)


@dataclass(frozen=True)
class Completion:
    """The end of an invocation: a result, an error, or neither for a void method."""

    invocation_id: str
    result: object = NO_RESULT
    error: str | None = None
    headers: Headers = field(default_factory=dict)

    def __post_init__(self) -> None:
        # HubProtocol.md, "Errors": a Completion carrying both a result and an error is a protocol error.
        if self.error is not None and self.result is not NO_RESULT:
            raise ValueError("a Completion carries a result or an error, not both")


@dataclass(frozen=True)
class StreamInvocation:
    """Call a streaming `target`; the callee answers with StreamItems and then a Completion."""

    invocation_id: str
    target: str
    arguments: collections.abc.Sequence[object]
    stream_ids: tuple[str, ...] = ()
    headers: Headers = field(default_factory=dict)


@dataclass(frozen=True)
class CancelInvocation:
    """Ask the callee to stop an invocation or stream; it still owes a Completion."""

    invocation_id: str
    headers: Headers = field(default_factory=dict)


@dataclass(frozen=True)
class Ping:
    """Keep-alive; carries nothing, and the receiver owes no answer."""


@dataclass(frozen=True)
class Close:
    """The connection is ending, with an optional error; `allow_reconnect` invites a client to retry."""

    error: str | None = None
    allow_reconnect: bool = False


@dataclass(frozen=True)
class Ack:
    """Stateful reconnect: every trackable message up to `sequence_id` arrived."""

    sequence_id: int


@dataclass(frozen=True)
class Sequence:
    """Stateful reconnect: the next trackable message the sender sends carries `sequence_id`."""

    sequence_id: int


HubMessage = (
    Invocation | StreamItem | Completion | StreamInvocation | CancelInvocation | Ping | Close | Ack | Sequence
)


class ProtocolError(Exception):
    """Input a hub protocol refuses: the hub answers it with `close_message()` and closes the socket.

    The message says what was wrong, for logs and the journal; clients see it in the Close.
    """

    def close_message(self) -> Close:
        """The Close the hub sends: the wording of an ASP.NET Core server with detailed errors on."""
        return Close(error=f"Connection closed with an error. InvalidDataException: {self}")


class HubException(Exception):
    """Raised by a hub method to fail the invocation with this message, as ASP.NET Core's HubException."""


HubMethod = Callable[[collections.abc.Sequence[object]], object]
"""A hub method: takes the invocation's arguments and returns the result (`None` for void)."""


def hub_reply(
    invocation: Invocation | StreamInvocation, methods: Mapping[str, HubMethod]
) -> Completion | None:
    """The Completion owed for a client invocation, or None for a non-blocking one.

    A non-blocking Invocation (no id) must get no reply at all (HubProtocol.md, "Non-Blocking
    Invocations"), so its method still runs but nothing is returned. An unknown target, or a
    StreamInvocation (the emulator offers no streaming methods), gets the ASP.NET Core server's
    error; a method that raises `HubException` gets its message as the error; a method returning
    `None` gets a void Completion.
    """
    method = methods.get(invocation.target)
    if method is None:
        return _reply(invocation.invocation_id, error=f"Unknown hub method '{invocation.target}'")
    if isinstance(invocation, StreamInvocation):
        return _reply(
            invocation.invocation_id,
            error=f"The client attempted to invoke the non-streaming '{invocation.target}' method "
            "with a streaming invocation.",
        )
    try:
        result = method(invocation.arguments)
    except HubException as failure:
        return _reply(invocation.invocation_id, error=str(failure))
    return _reply(invocation.invocation_id, result=NO_RESULT if result is None else result)


def _reply(
    invocation_id: str | None, *, result: object = NO_RESULT, error: str | None = None
) -> Completion | None:
    if invocation_id is None:
        return None
    return Completion(invocation_id, result=result, error=error)
