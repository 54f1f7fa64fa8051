"""The MessagePack hub protocol: messages to length-prefixed arrays and back.

Owns: the array layout of each message type and the VarInt length prefix in front of every
message (HubProtocol.md, "MessagePack (MsgPack) encoding"), and `MessagePackDecoder`, which takes
Binary frames as they arrive (several messages in one frame, or one split over several).

Conventions: encoding writes what the specification's examples show, byte for byte (an Invocation
always with its stream-ids array, a Close with `AllowReconnect` only when it is true). Decoding
accepts the shorter forms clients send (an Invocation without stream ids, a Close without
`AllowReconnect`, a nil Close error) and ignores extra trailing items, as a real server does;
anything else malformed raises `ProtocolError`. Must not do I/O or read the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

import msgpack  # type: ignore[import-untyped]  # the package ships no type information

from emulators.amove.signalr.framing import MAX_MESSAGE_SIZE, MessageDecoder
from emulators.amove.signalr.messages import (
    NO_RESULT,
    Ack,
    CancelInvocation,
    Close,
    Completion,
    HubMessage,
    Invocation,
    MessageType,
    Ping,
    ProtocolError,
    Sequence,
    StreamInvocation,
    StreamItem,
)

MAX_LENGTH: Final = 0x7FFFFFFF
"""The largest length a VarInt prefix may carry: 2 GB, five bytes at most."""

# Completion's ResultKind item.
ERROR_RESULT: Final = 1
VOID_RESULT: Final = 2
NON_VOID_RESULT: Final = 3


class MessagePackHubProtocol:
    """The `messagepack` hub protocol, carried in Binary frames."""

    name: Final = "messagepack"
    transfer_format: Final[Literal["Binary"]] = "Binary"

    def encode(self, message: HubMessage) -> bytes:
        """The message as one length-prefixed MessagePack array."""
        return frame(msgpack.packb(_items(message)))

    def decoder(self, max_message_size: int = MAX_MESSAGE_SIZE) -> MessagePackDecoder:
        """A fresh decoder for one connection's incoming frames."""
        return MessagePackDecoder(max_message_size)


def frame(body: bytes) -> bytes:
    """A message body with its VarInt length in front (least significant seven bits first)."""
    if len(body) > MAX_LENGTH:
        raise ValueError("messages over 2 GB cannot be framed")
    prefix = bytearray()
    length = len(body)
    while length > 0x7F:
        prefix.append(length & 0x7F | 0x80)
        length >>= 7
    prefix.append(length)
    return bytes(prefix) + body


def read_length(buffer: bytes | bytearray) -> tuple[int, int] | None:
    """The VarInt at the front of the buffer as (length, prefix size), or None if it is incomplete."""
    length = 0
    for index, byte in enumerate(buffer[:5]):
        length |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            if length > MAX_LENGTH:
                raise ProtocolError("Messages over 2GB in size are not supported.")
            return length, index + 1
    if len(buffer) >= 5:
        raise ProtocolError("Messages over 2GB in size are not supported.")
    return None


def _items(message: HubMessage) -> list[object]:
    match message:
        case Invocation():
            return [
                MessageType.INVOCATION.value,
                dict(message.headers),
                message.invocation_id,
                message.target,
                list(message.arguments),
                list(message.stream_ids),
            ]
        case StreamItem():
            return [MessageType.STREAM_ITEM.value, dict(message.headers), message.invocation_id, message.item]
        case Completion():
            head: list[object] = [MessageType.COMPLETION.value, dict(message.headers), message.invocation_id]
            if message.error is not None:
                return [*head, ERROR_RESULT, message.error]
            if message.result is NO_RESULT:
                return [*head, VOID_RESULT]
            return [*head, NON_VOID_RESULT, message.result]
        case StreamInvocation():
            return [
                MessageType.STREAM_INVOCATION.value,
                dict(message.headers),
                message.invocation_id,
                message.target,
                list(message.arguments),
                list(message.stream_ids),
            ]
        case CancelInvocation():
            return [MessageType.CANCEL_INVOCATION.value, dict(message.headers), message.invocation_id]
        case Ping():
            return [MessageType.PING.value]
        case Close():
            close: list[object] = [MessageType.CLOSE.value, message.error]
            return [*close, True] if message.allow_reconnect else close
        case Ack():
            return [MessageType.ACK.value, message.sequence_id]
        case Sequence():
            return [MessageType.SEQUENCE.value, message.sequence_id]


class MessagePackDecoder(MessageDecoder):
    """Cuts messages by their VarInt length; Text frames are refused (the protocol is binary)."""

    def _bytes(self, data: str | bytes) -> bytes:
        if isinstance(data, str):
            raise ProtocolError("MessagePack messages must arrive as binary data.")
        return data

    def _cut(self, buffer: bytearray) -> bytes | None:
        prefix = read_length(buffer)
        if prefix is None:
            return None
        length, size = prefix
        if length > self.max_message_size:
            raise self._too_large()
        if len(buffer) < size + length:
            return None
        body = bytes(buffer[size : size + length])
        del buffer[: size + length]
        return body

    def _parse(self, body: bytes) -> HubMessage:
        return parse_body(body)


def parse_body(body: bytes) -> HubMessage:
    """One message body (without its length prefix) as a hub message, or `ProtocolError`."""
    try:
        items = msgpack.unpackb(body, raw=False)
    except (ValueError, RecursionError) as failure:  # every msgpack unpacking error is a ValueError
        raise ProtocolError(f"Error reading MessagePack: {failure!r}") from failure
    if not isinstance(items, list) or not items:
        raise ProtocolError("Expected a MessagePack array with the message type first.")
    kind = items[0]
    if type(kind) is not int or kind not in _TYPES:
        raise ProtocolError(f"Unknown message type: {kind!r}.")
    return _PARSERS[MessageType(kind)](_Items(MessageType(kind), items))


class _Items:
    """Typed access to a message array's items, raising the protocol error for a wrong one."""

    def __init__(self, kind: MessageType, items: list[object]) -> None:
        self._kind = kind
        self._items = items

    def at(self, index: int) -> object:
        if index >= len(self._items):
            raise ProtocolError(f"Invalid payload for {self._kind.name.title()} message: too few items.")
        return self._items[index]

    def has(self, index: int) -> bool:
        return index < len(self._items)

    def string(self, index: int, name: str) -> str:
        value = self.at(index)
        if not isinstance(value, str):
            raise ProtocolError(f"Reading '{name}' as String failed.")
        return value

    def optional_string(self, index: int, name: str) -> str | None:
        return None if self.at(index) is None else self.string(index, name)

    def integer(self, index: int, name: str) -> int:
        value = self.at(index)
        if type(value) is not int:
            raise ProtocolError(f"Reading '{name}' as Integer failed.")
        return value

    def array(self, index: int, name: str) -> list[object]:
        value = self.at(index)
        if not isinstance(value, list):
            raise ProtocolError(f"Reading '{name}' as Array failed.")
        return value

    def stream_ids(self, index: int) -> tuple[str, ...]:
        if not self.has(index) or self._items[index] is None:
            return ()
        ids = self.array(index, "streamIds")
        if not all(isinstance(each, str) for each in ids):
            raise ProtocolError("Reading 'streamIds' as Array of String failed.")
        return tuple(str(each) for each in ids)

    def headers(self) -> dict[str, str]:
        value = self.at(1)
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ProtocolError("Reading 'headers' as Map of String to String failed.")
        return {str(k): str(v) for k, v in value.items()}


def _invocation(items: _Items) -> HubMessage:
    return Invocation(
        headers=items.headers(),
        invocation_id=items.optional_string(2, "invocationId"),
        target=items.string(3, "target"),
        arguments=items.array(4, "arguments"),
        stream_ids=items.stream_ids(5),
    )


def _stream_item(items: _Items) -> HubMessage:
    return StreamItem(
        headers=items.headers(), invocation_id=items.string(2, "invocationId"), item=items.at(3)
    )


def _completion(items: _Items) -> HubMessage:
    headers = items.headers()
    invocation_id = items.string(2, "invocationId")
    match items.integer(3, "resultKind"):
        case 1:
            return Completion(invocation_id, error=items.string(4, "error"), headers=headers)
        case 2:
            return Completion(invocation_id, headers=headers)
        case 3:
            return Completion(invocation_id, result=items.at(4), headers=headers)
        case _:
            raise ProtocolError("Invalid invocation result kind.")


def _stream_invocation(items: _Items) -> HubMessage:
    return StreamInvocation(
        headers=items.headers(),
        invocation_id=items.string(2, "invocationId"),
        target=items.string(3, "target"),
        arguments=items.array(4, "arguments"),
        stream_ids=items.stream_ids(5),
    )


def _cancel_invocation(items: _Items) -> HubMessage:
    return CancelInvocation(headers=items.headers(), invocation_id=items.string(2, "invocationId"))


def _ping(items: _Items) -> HubMessage:
    return Ping()


def _close(items: _Items) -> HubMessage:
    allow_reconnect = items.at(2) if items.has(2) else False
    if not isinstance(allow_reconnect, bool):
        raise ProtocolError("Reading 'allowReconnect' as Boolean failed.")
    return Close(error=items.optional_string(1, "error"), allow_reconnect=allow_reconnect)


def _ack(items: _Items) -> HubMessage:
    return Ack(items.integer(1, "sequenceId"))


def _sequence(items: _Items) -> HubMessage:
    return Sequence(items.integer(1, "sequenceId"))


_TYPES: Final = frozenset(kind.value for kind in MessageType)

# One parser per message type, as a plain table (no dispatch on names).
_PARSERS = {
    MessageType.INVOCATION: _invocation,
    MessageType.STREAM_ITEM: _stream_item,
    MessageType.COMPLETION: _completion,
    MessageType.STREAM_INVOCATION: _stream_invocation,
    MessageType.CANCEL_INVOCATION: _cancel_invocation,
    MessageType.PING: _ping,
    MessageType.CLOSE: _close,
    MessageType.ACK: _ack,
    MessageType.SEQUENCE: _sequence,
}
