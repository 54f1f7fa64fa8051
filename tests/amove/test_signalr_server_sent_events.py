"""Server-Sent Events framing and the request that asks for it (TransportProtocols.md, "Server-Sent
Events"; the WHATWG event-stream format)."""

from __future__ import annotations

import pytest

from emulators.amove.signalr import JsonHubProtocol, Ping
from emulators.amove.signalr.server_sent_events import CONTENT_TYPE, HEADERS, OPENING, asks_for_events, event


def test_a_record_is_one_data_line_and_a_blank_line():
    record = JsonHubProtocol().encode(Ping())
    assert event(record) == b'data: {"type":6}\x1e\r\n\r\n'


def test_several_records_written_at_once_are_one_event():
    records = b'{"type":6}\x1e{"type":6}\x1e'
    assert event(records) == b"data: " + records + b"\r\n\r\n"


def test_each_line_of_the_payload_gets_its_own_data_line():
    assert event(b"one\ntwo\r\nthree") == b"data: one\r\ndata: two\r\ndata: three\r\n\r\n"
    assert event(b"ends with\n") == b"data: ends with\r\ndata: \r\n\r\n"


def test_an_empty_write_is_an_empty_event():
    assert event(b"") == b"\r\n"


def test_binary_cannot_travel_as_events():
    with pytest.raises(ValueError):
        event(b"\x92\x06\xff")


@pytest.mark.parametrize(
    ("accept", "asks"),
    [
        ("text/event-stream", True),
        ("Text/Event-Stream", True),
        ("text/plain, text/event-stream;q=0.9", True),
        ("*/*", False),
        ("application/json", False),
        ("", False),
        (None, False),
    ],
)
def test_the_accept_header_picks_the_event_stream(accept: str | None, asks: bool):
    assert asks_for_events(accept) is asks


def test_the_stream_opens_with_a_comment_and_is_never_cached():
    assert OPENING.startswith(b":") and OPENING.endswith(b"\r\n")
    assert CONTENT_TYPE == "text/event-stream"
    assert "no-cache" in HEADERS["Cache-Control"] and HEADERS["Content-Encoding"] == "identity"
