"""The hub handshake: the client's first message picks the hub protocol, the server answers once.

Owns: reading the handshake request (`{"protocol": ..., "version": ...}` and the record
separator, always JSON, whatever protocol it names), deciding whether to accept it, and the reply
bytes. The request may arrive in pieces, and the frame that completes it may already carry hub
messages; those bytes are handed back untouched as `remainder`, for the chosen protocol's decoder.

Rules (HubProtocol.md, "Overview"; reference C3): the server sends nothing before the request; the
reply is `{}` on success or `{"error": ...}` on refusal, never with a `type` property (the
JavaScript client rejects a reply that has one); after an error reply the server closes. The
wording of each error is the ASP.NET Core server's. Must not do I/O or read the clock: the hub
enforces the handshake timeout with `KeepAlive.handshake_expired`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal, Protocol

from emulators.amove.signalr.framing import MAX_MESSAGE_SIZE, MessageDecoder
from emulators.amove.signalr.json_protocol import RECORD_SEPARATOR, JsonHubProtocol, load_object
from emulators.amove.signalr.messages import HubMessage, ProtocolError
from emulators.amove.signalr.msgpack_protocol import MessagePackHubProtocol

TransferFormat = Literal["Text", "Binary"]


class HubProtocol(Protocol):
    """What the hub needs of a hub protocol once the handshake has chosen it."""

    @property
    def name(self) -> str: ...

    @property
    def transfer_format(self) -> TransferFormat: ...

    def encode(self, message: HubMessage) -> bytes: ...

    def decoder(self, max_message_size: int = MAX_MESSAGE_SIZE) -> MessageDecoder: ...


HUB_PROTOCOLS: Final[dict[str, HubProtocol]] = {
    "json": JsonHubProtocol(),
    "messagepack": MessagePackHubProtocol(),
}
"""Every hub protocol the module speaks, by the name a handshake request uses."""

MAX_VERSION: Final = 1
"""The highest hub protocol version accepted. Version 2 adds stateful reconnect, which is not offered;
clients that cannot use it send 1 (JavaScript, pysignalr), and signalrcore sends 0."""

SUCCESS: Final = b"{}" + RECORD_SEPARATOR.encode()


@dataclass(frozen=True)
class HandshakeRequest:
    """The client's choice: a hub protocol by name and its version."""

    protocol: str
    version: int


@dataclass(frozen=True)
class Handshake:
    """The server's decision on a complete handshake request.

    `protocol` is the chosen hub protocol, or None when `error` says why the handshake failed (then
    the hub sends `reply` and closes). `request` is None when the request was unreadable.
    `remainder` is whatever followed the request in the same bytes.
    """

    request: HandshakeRequest | None
    protocol: HubProtocol | None
    error: str | None
    remainder: bytes

    @property
    def reply(self) -> bytes:
        """The handshake response, record separator included, to send as its own frame."""
        if self.error is None:
            return SUCCESS
        text = json.dumps({"error": self.error}, separators=(",", ":"), ensure_ascii=False)
        return (text + RECORD_SEPARATOR).encode()


def read_handshake(
    received: str | bytes,
    *,
    protocols: Iterable[str] = HUB_PROTOCOLS,
    transfer_formats: Iterable[TransferFormat] = ("Text", "Binary"),
    max_version: int = MAX_VERSION,
    max_size: int = MAX_MESSAGE_SIZE,
) -> Handshake | None:
    """Decide on the handshake in everything received so far, or None while it is incomplete.

    `protocols` are the hub protocols this hub offers; `transfer_formats` are what the connection's
    transport can carry (Server-Sent Events carry only Text, so MessagePack is refused there).
    """
    data = received.encode() if isinstance(received, str) else bytes(received)
    end = data.find(RECORD_SEPARATOR.encode())
    if end < 0:
        if len(data) > max_size:
            return _refused(None, "An unexpected error occurred during connection handshake.", b"")
        return None
    remainder = data[end + 1 :]
    try:
        request = parse_request(data[:end])
    except ProtocolError:
        return _refused(None, "An unexpected error occurred during connection handshake.", remainder)
    error = _refusal(request, set(protocols), set(transfer_formats), max_version)
    if error is not None:
        return _refused(request, error, remainder)
    return Handshake(request, HUB_PROTOCOLS[request.protocol], None, remainder)


def parse_request(record: bytes) -> HandshakeRequest:
    """A handshake request record (without its separator), or `ProtocolError`."""
    document = load_object(record)
    protocol = document.get("protocol")
    version = document.get("version")
    if not isinstance(protocol, str):
        raise ProtocolError("Missing or invalid required property 'protocol'.")
    if type(version) is not int:
        raise ProtocolError("Missing or invalid required property 'version'.")
    return HandshakeRequest(protocol, version)


def _refusal(
    request: HandshakeRequest, protocols: set[str], formats: set[TransferFormat], max_version: int
) -> str | None:
    if request.protocol not in protocols or request.protocol not in HUB_PROTOCOLS:
        return f"The protocol '{request.protocol}' is not supported."
    if not 0 <= request.version <= max_version:
        return f"The server does not support version {request.version} of the '{request.protocol}' protocol."
    transfer_format = HUB_PROTOCOLS[request.protocol].transfer_format
    if transfer_format not in formats:
        return (
            f"Cannot use the '{request.protocol}' protocol on the current transport. "
            f"The transport does not support '{transfer_format}' transfer format."
        )
    return None


def _refused(request: HandshakeRequest | None, error: str, remainder: bytes) -> Handshake:
    return Handshake(request, None, error, remainder)
