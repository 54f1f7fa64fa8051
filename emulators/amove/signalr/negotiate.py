"""The negotiate response: which negotiate version, which transports, which connection ids.

Owns: the transports and their transfer formats, the choice of negotiate version from the
client's `negotiateVersion` query value, and the JSON document `POST {hub}/negotiate` answers
(TransportProtocols.md, "POST [endpoint-base]/negotiate request"; reference C1). The connection ids
themselves come from `connections.ConnectionRegistry`, which calls this module.

Rules: no `negotiateVersion` means version 0 (connection id only); version 1 adds the secret
connection token; a higher request gets the highest version (1); a negative or non-integer one gets
an `{"error": ...}` document, as the ASP.NET Core server answers. Transports are listed in the
order given, and each transport's formats in the order shown below: signalrcore picks the hub
protocol from the first format of the transport it uses, so WebSockets must say Text first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from emulators.amove.signalr.handshake import TransferFormat

MAX_NEGOTIATE_VERSION: Final = 1


class Transport(StrEnum):
    """A transport by the name negotiate lists it under."""

    WEB_SOCKETS = "WebSockets"
    SERVER_SENT_EVENTS = "ServerSentEvents"
    LONG_POLLING = "LongPolling"


TRANSFER_FORMATS: Final[Mapping[Transport, tuple[TransferFormat, ...]]] = {
    Transport.WEB_SOCKETS: ("Text", "Binary"),
    Transport.SERVER_SENT_EVENTS: ("Text",),
    Transport.LONG_POLLING: ("Text", "Binary"),
}
"""What each transport can carry; Server-Sent Events is text only."""

ALL_TRANSPORTS: Final = tuple(Transport)
"""The transports an ASP.NET Core server offers by default, in its order."""


@dataclass(frozen=True)
class NegotiateRefusal:
    """A negotiate request the server will not serve; answered with 200 and an error document."""

    error: str

    def document(self) -> dict[str, object]:
        """The response body; the clients stop connecting when they see `error`."""
        return {"error": self.error}


_INTEGER = re.compile(r"\s*[+-]?\d{1,10}\s*")


def negotiate_version(requested: str | None) -> int | NegotiateRefusal:
    """The negotiate version to answer with, from the raw `negotiateVersion` query value."""
    if requested is None:
        return 0
    if not _INTEGER.fullmatch(requested) or not -(2**31) <= int(requested) < 2**31:
        return NegotiateRefusal("The client requested a non-integer protocol version.")
    version = int(requested)
    if version < 0:
        return NegotiateRefusal(
            f"The client requested version '{version}', but the server does not support this version."
        )
    return min(version, MAX_NEGOTIATE_VERSION)


def negotiate_document(
    version: int, connection_id: str, connection_token: str, transports: Iterable[Transport] = ALL_TRANSPORTS
) -> dict[str, object]:
    """The successful negotiate response for a connection; the token is shown only from version 1."""
    document: dict[str, object] = {"connectionToken": connection_token} if version >= 1 else {}
    document["connectionId"] = connection_id
    document["negotiateVersion"] = version
    document["availableTransports"] = [
        {"transport": transport.value, "transferFormats": list(TRANSFER_FORMATS[transport])}
        for transport in dict.fromkeys(transports)
    ]
    return document
