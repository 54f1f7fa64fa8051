"""Server-Sent Events, the text-only server-to-client transport: each write as one event.

Owns: recognising the GET that asks for the event stream (`asks_for_events`: its `Accept` header
names `text/event-stream`; any other GET that is no WebSocket upgrade is a poll), the response's
headers, the comment that opens the stream, and `event`, the framing of one write of the hub
(TransportProtocols.md, "Server-Sent Events"; the WHATWG event-stream format): unnamed events whose
`data` lines carry the payload, one `data: ` line per line of it, each ended by CRLF, and a blank line
ending the event, as the ASP.NET Core server writes them.

The payload is what the hub protocol wrote: JSON records, each ending in the record separator. Binary
cannot travel here (negotiate lists Text only and the handshake refuses MessagePack), so a payload that
is not UTF-8 is the hub's own bug and raises ValueError. Must not do I/O.
"""

from __future__ import annotations

from typing import Final

CONTENT_TYPE: Final = "text/event-stream"

HEADERS: Final = {"Cache-Control": "no-cache,no-store", "Pragma": "no-cache", "Content-Encoding": "identity"}
"""What the ASP.NET Core server sends with the stream besides its content type: nothing may cache or
compress (and so hold back) the events."""

OPENING: Final = b":\r\n"
"""A comment line the server writes first, so that a client sees the stream open before any event."""

_NEWLINE: Final = b"\r\n"


def asks_for_events(accept: str | None) -> bool:
    """Whether a GET with this `Accept` header is the Server-Sent Events transport (parameters of the
    media range are ignored)."""
    if not accept:
        return False
    return any(part.split(";", 1)[0].strip().lower() == CONTENT_TYPE for part in accept.split(","))


def event(payload: bytes) -> bytes:
    """One write of the hub as one event; a line break inside the payload starts another `data` line
    (the client joins them with LF again; a CR before the LF is dropped)."""
    payload.decode()  # UnicodeDecodeError, a ValueError: only text goes over this transport
    lines = payload.split(b"\n") if payload else []
    return b"".join(b"data: " + line.removesuffix(b"\r") + _NEWLINE for line in lines) + _NEWLINE
