"""The JSON hub protocol: messages to text records and back (HubProtocol.md, "JSON Encoding").

Owns: encoding a hub message as one compact JSON object followed by the record separator `\\x1e`,
and `JsonDecoder`, which takes frames as they arrive (several records in one frame, one record split
over several frames, even a UTF-8 character split between frames) and yields messages in order.

Conventions: encoding writes fields in the order ASP.NET Core writes them and leaves out absent
optional fields. Decoding accepts what a real server accepts: unknown properties are ignored and an
optional property set to `null` counts as absent; anything else malformed (not JSON, an unknown or
missing `type`, a missing or mistyped required property, a Completion with both `result` and
`error`, a record over the size limit) raises `ProtocolError`. Must not do I/O or read the clock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final, Literal

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

RECORD_SEPARATOR: Final = "\x1e"
"""Ends every JSON record, the handshake's included."""


class JsonHubProtocol:
    """The `json` hub protocol, carried in Text frames."""

    name: Final = "json"
    transfer_format: Final[Literal["Text"]] = "Text"

    def encode(self, message: HubMessage) -> bytes:
        """The message as one UTF-8 record, separator included."""
        return dumps(message).encode()

    def decoder(self, max_message_size: int = MAX_MESSAGE_SIZE) -> JsonDecoder:
        """A fresh decoder for one connection's incoming frames."""
        return JsonDecoder(max_message_size)


def dumps(message: HubMessage) -> str:
    """The message as one JSON record, separator included, for a WebSocket Text frame.

    `json` escapes every control character inside strings, so the separator can only appear as the
    terminator. Values JSON cannot carry (NaN, bytes, arbitrary objects) raise ValueError or
    TypeError: the hub chose the payload, so that is the hub's bug, not the client's.
    """
    text = json.dumps(_document(message), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text + RECORD_SEPARATOR


def _document(message: HubMessage) -> dict[str, object]:
    match message:
        case Invocation():
            return {
                "type": MessageType.INVOCATION.value,
                **_headers(message.headers),
                **({} if message.invocation_id is None else {"invocationId": message.invocation_id}),
                "target": message.target,
                "arguments": list(message.arguments),
                **({"streamIds": list(message.stream_ids)} if message.stream_ids else {}),
            }
        case StreamItem():
            return {
                "type": MessageType.STREAM_ITEM.value,
                **_headers(message.headers),
                "invocationId": message.invocation_id,
                "item": message.item,
            }
        case Completion():
            if message.error is not None:
                outcome: dict[str, object] = {"error": message.error}
            else:
                outcome = {} if message.result is NO_RESULT else {"result": message.result}
            return {
                "type": MessageType.COMPLETION.value,
                **_headers(message.headers),
                "invocationId": message.invocation_id,
                **outcome,
            }
        case StreamInvocation():
            return {
                "type": MessageType.STREAM_INVOCATION.value,
                **_headers(message.headers),
                "invocationId": message.invocation_id,
                "target": message.target,
                "arguments": list(message.arguments),
                **({"streamIds": list(message.stream_ids)} if message.stream_ids else {}),
            }
        case CancelInvocation():
            return {
                "type": MessageType.CANCEL_INVOCATION.value,
                **_headers(message.headers),
                "invocationId": message.invocation_id,
            }
        case Ping():
            return {"type": MessageType.PING.value}
        case Close():
            return {
                "type": MessageType.CLOSE.value,
                **({} if message.error is None else {"error": message.error}),
                **({"allowReconnect": True} if message.allow_reconnect else {}),
            }
        case Ack():
            return {"type": MessageType.ACK.value, "sequenceId": message.sequence_id}
        case Sequence():
            return {"type": MessageType.SEQUENCE.value, "sequenceId": message.sequence_id}


def _headers(headers: Mapping[str, str]) -> dict[str, object]:
    return {"headers": dict(headers)} if headers else {}


class JsonDecoder(MessageDecoder):
    """Cuts records at the separator; a UTF-8 character split between frames is simply buffered."""

    def _cut(self, buffer: bytearray) -> bytes | None:
        end = buffer.find(RECORD_SEPARATOR.encode())
        if end < 0:
            if len(buffer) > self.max_message_size:
                raise self._too_large()
            return None
        record = bytes(buffer[:end])
        del buffer[: end + 1]
        if len(record) > self.max_message_size:
            raise self._too_large()
        return record

    def _parse(self, body: bytes) -> HubMessage:
        return parse_record(body)


def parse_record(record: bytes | str) -> HubMessage:
    """One JSON record (without its separator) as a hub message, or `ProtocolError`."""
    document = load_object(record)
    kind = document.get("type")
    if kind is None:
        raise ProtocolError("Missing required property 'type'.")
    if type(kind) is not int or kind not in _TYPES:
        raise ProtocolError(f"Unknown message type: {kind!r}.")
    return _PARSERS[MessageType(kind)](_Fields(document))


def load_object(record: bytes | str) -> dict[str, object]:
    """A record parsed as a JSON object, or `ProtocolError` (shared with the handshake)."""
    try:
        document = json.loads(record, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as failure:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ProtocolError(f"Error reading JSON: {failure}") from failure
    if not isinstance(document, dict):
        raise ProtocolError("Expected a JSON object.")
    return document


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


class _Fields:
    """Typed access to a record's properties, raising the protocol error a real server raises."""

    def __init__(self, document: dict[str, object]) -> None:
        self._document = document

    def has(self, name: str) -> bool:
        return name in self._document

    def value(self, name: str) -> object:
        if name not in self._document:
            raise ProtocolError(f"Missing required property '{name}'.")
        return self._document[name]

    def string(self, name: str) -> str:
        value = self.value(name)
        if not isinstance(value, str):
            raise ProtocolError(f"Expected '{name}' to be of type String.")
        return value

    def optional_string(self, name: str) -> str | None:
        return None if self._document.get(name) is None else self.string(name)

    def integer(self, name: str) -> int:
        value = self.value(name)
        if type(value) is not int:
            raise ProtocolError(f"Expected '{name}' to be of type Integer.")
        return value

    def array(self, name: str) -> list[object]:
        value = self.value(name)
        if not isinstance(value, list):
            raise ProtocolError(f"Expected '{name}' to be of type Array.")
        return value

    def stream_ids(self) -> tuple[str, ...]:
        if self._document.get("streamIds") is None:
            return ()
        ids = self.array("streamIds")
        if not all(isinstance(each, str) for each in ids):
            raise ProtocolError("Expected 'streamIds' to be an Array of String.")
        return tuple(str(each) for each in ids)

    def headers(self) -> dict[str, str]:
        value = self._document.get("headers")
        if value is None:
            return {}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ProtocolError("Expected 'headers' to be an Object of String values.")
        return {str(k): str(v) for k, v in value.items()}

    def flag(self, name: str) -> bool:
        value = self._document.get(name)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise ProtocolError(f"Expected '{name}' to be of type Boolean.")
        return value


def _invocation(fields: _Fields) -> HubMessage:
    return Invocation(
        target=fields.string("target"),
        arguments=fields.array("arguments"),
        invocation_id=fields.optional_string("invocationId"),
        stream_ids=fields.stream_ids(),
        headers=fields.headers(),
    )


def _stream_item(fields: _Fields) -> HubMessage:
    return StreamItem(fields.string("invocationId"), fields.value("item"), headers=fields.headers())


def _completion(fields: _Fields) -> HubMessage:
    error = fields.optional_string("error")
    if error is not None and fields.has("result"):
        raise ProtocolError("The 'error' and 'result' properties are mutually exclusive.")
    return Completion(
        fields.string("invocationId"),
        result=fields.value("result") if fields.has("result") else NO_RESULT,
        error=error,
        headers=fields.headers(),
    )


def _stream_invocation(fields: _Fields) -> HubMessage:
    return StreamInvocation(
        invocation_id=fields.string("invocationId"),
        target=fields.string("target"),
        arguments=fields.array("arguments"),
        stream_ids=fields.stream_ids(),
        headers=fields.headers(),
    )


def _cancel_invocation(fields: _Fields) -> HubMessage:
    return CancelInvocation(fields.string("invocationId"), headers=fields.headers())


def _ping(fields: _Fields) -> HubMessage:
    return Ping()


def _close(fields: _Fields) -> HubMessage:
    return Close(error=fields.optional_string("error"), allow_reconnect=fields.flag("allowReconnect"))


def _ack(fields: _Fields) -> HubMessage:
    return Ack(fields.integer("sequenceId"))


def _sequence(fields: _Fields) -> HubMessage:
    return Sequence(fields.integer("sequenceId"))


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
