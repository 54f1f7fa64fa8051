"""The MessagePack hub protocol: the specification's byte examples, VarInt framing, and refusals."""

from __future__ import annotations

import contextlib

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from signalr_strategies import frames, hub_messages, msgpack_values

from emulators.amove.signalr import (
    Ack,
    CancelInvocation,
    Close,
    Completion,
    HubMessage,
    Invocation,
    MessagePackHubProtocol,
    Ping,
    ProtocolError,
    Sequence,
    StreamInvocation,
    StreamItem,
)
from emulators.amove.signalr.msgpack_protocol import frame, read_length

MSGPACK = MessagePackHubProtocol()


def payload(text: str) -> bytes:
    """Bytes written as the specification writes them: `0x96 0x01 ...`."""
    return bytes(int(each, 16) for each in text.split())


# HubProtocol.md, "MessagePack (MsgPack) encoding": each example payload, byte for byte.
ENCODED_EXAMPLES = [
    pytest.param(
        "0x96 0x01 0x80 0xa3 0x78 0x79 0x7a 0xa6 0x6d 0x65 0x74 0x68 0x6f 0x64 0x91 0x2a 0x90",
        Invocation("method", [42], invocation_id="xyz"),
        id="invocation",
    ),
    pytest.param(
        "0x96 0x01 0x80 0xc0 0xa6 0x6d 0x65 0x74 0x68 0x6f 0x64 0x91 0x2a 0x90",
        Invocation("method", [42]),
        id="non-blocking-invocation",
    ),
    pytest.param(
        "0x96 0x04 0x80 0xa3 0x78 0x79 0x7a 0xa6 0x6d 0x65 0x74 0x68 0x6f 0x64 0x91 0x2a 0x90",
        StreamInvocation("xyz", "method", [42]),
        id="stream-invocation",
    ),
    pytest.param("0x94 0x02 0x80 0xa3 0x78 0x79 0x7a 0x2a", StreamItem("xyz", 42), id="stream-item"),
    pytest.param(
        "0x95 0x03 0x80 0xa3 0x78 0x79 0x7a 0x01 0xa5 0x45 0x72 0x72 0x6f 0x72",
        Completion("xyz", error="Error"),
        id="error-result",
    ),
    pytest.param("0x94 0x03 0x80 0xa3 0x78 0x79 0x7a 0x02", Completion("xyz"), id="void-result"),
    pytest.param(
        "0x95 0x03 0x80 0xa3 0x78 0x79 0x7a 0x03 0x2a", Completion("xyz", result=42), id="non-void-result"
    ),
    pytest.param("0x93 0x05 0x80 0xa3 0x78 0x79 0x7a", CancelInvocation("xyz"), id="cancel-invocation"),
    pytest.param("0x91 0x06", Ping(), id="ping"),
    pytest.param("0x92 0x07 0xa3 0x78 0x79 0x7a", Close("xyz"), id="close"),
    pytest.param(
        "0x93 0x07 0xa3 0x78 0x79 0x7a 0xc3", Close("xyz", allow_reconnect=True), id="close-reconnect"
    ),
    pytest.param(
        "0x96 0x01 0x82 0xa1 0x78 0xa1 0x79 0xa1 0x7a 0xa1 0x7a 0xa3 0x78 0x79 0x7a 0xa6 0x6d 0x65 0x74 0x68"
        " 0x6f 0x64 0x91 0x2a 0x90",
        Invocation("method", [42], invocation_id="xyz", headers={"x": "y", "z": "z"}),
        id="headers",
    ),
]


@pytest.mark.parametrize(("body", "message"), ENCODED_EXAMPLES)
def test_specification_examples_decode_and_encode_byte_for_byte(body: str, message: HubMessage):
    wire = frame(payload(body))
    assert MSGPACK.encode(message) == wire
    assert MSGPACK.decoder().read(wire) == [message]


@pytest.mark.parametrize(
    ("body", "message"),
    [("0x92 0x08 0xcc 0x24", Ack(36)), ("0x92 0x09 0xcc 0x13", Sequence(19))],
    ids=["ack", "sequence"],
)
def test_ack_and_sequence_examples_decode_whatever_integer_size_they_use(body: str, message: HubMessage):
    assert MSGPACK.decoder().read(frame(payload(body))) == [message]
    assert MSGPACK.decoder().read(MSGPACK.encode(message)) == [message]


def test_the_shorter_forms_clients_send_are_accepted():
    five_item_invocation = msgpack.packb([1, {}, None, "method", [42]])
    nil_error_close = msgpack.packb([7, None])
    extra_items = msgpack.packb([5, {}, "xyz", "from a newer client"])
    decoded = MSGPACK.decoder().read(
        frame(five_item_invocation) + frame(nil_error_close) + frame(extra_items)
    )
    assert decoded == [Invocation("method", [42]), Close(), CancelInvocation("xyz")]


# HubProtocol.md, "VarInt": the examples, and the five-byte limit.
def test_varint_examples():
    assert read_length(b"\x35") == (0x35, 1)
    assert read_length(b"\x80\x29") == (5248, 2)
    assert read_length(b"\xff\xff\xff\xff\x07") == (0x7FFFFFFF, 5)
    assert read_length(b"\x80\x80") is None
    assert frame(b"Hello\nWorld") == b"\x0bHello\nWorld"
    assert frame(b"\x01\x02") == b"\x02\x01\x02"
    assert frame(bytes(5248))[:2] == b"\x80\x29"


@pytest.mark.parametrize("prefix", [b"\xff\xff\xff\xff\x08", b"\x80\x80\x80\x80\x80\x01"])
def test_a_length_over_2gb_is_refused(prefix: bytes):
    with pytest.raises(ProtocolError, match="2GB"):
        read_length(prefix)


def test_several_messages_in_one_frame_and_one_split_over_frames():
    wire = MSGPACK.encode(Ping()) + MSGPACK.encode(StreamItem("1", "é" * 200))
    decoder = MSGPACK.decoder()
    assert decoder.read(wire[:3]) == [Ping()]
    assert decoder.read(wire[3:4]) == []
    assert decoder.read(wire[4:]) == [StreamItem("1", "é" * 200)]


MALFORMED = [
    pytest.param(msgpack.packb({"type": 6}), id="not-an-array"),
    pytest.param(msgpack.packb([]), id="empty-array"),
    pytest.param(msgpack.packb(["6"]), id="type-as-string"),
    pytest.param(msgpack.packb([0]), id="type-0"),
    pytest.param(msgpack.packb([10]), id="type-10"),
    pytest.param(msgpack.packb([True]), id="type-as-boolean"),
    pytest.param(msgpack.packb([1, {}, None, "method"]), id="invocation-too-short"),
    pytest.param(msgpack.packb([1, [], None, "method", []]), id="headers-not-a-map"),
    pytest.param(msgpack.packb([1, {"a": 1}, None, "method", []]), id="header-not-a-string"),
    pytest.param(msgpack.packb([1, {}, 5, "method", []]), id="invocation-id-not-a-string"),
    pytest.param(msgpack.packb([1, {}, None, "method", [], [1]]), id="stream-id-not-a-string"),
    pytest.param(msgpack.packb([1, {}, None, "method", "args"]), id="arguments-not-an-array"),
    pytest.param(msgpack.packb([2, {}, "xyz"]), id="stream-item-without-item"),
    pytest.param(msgpack.packb([3, {}, "xyz", 4]), id="unknown-result-kind"),
    pytest.param(msgpack.packb([3, {}, "xyz", 1]), id="error-result-without-error"),
    pytest.param(msgpack.packb([3, {}, "xyz", 1, 42]), id="error-not-a-string"),
    pytest.param(msgpack.packb([3, {}, "xyz", 3]), id="non-void-result-without-result"),
    pytest.param(msgpack.packb([4, {}, None, "method", []]), id="stream-invocation-without-id"),
    pytest.param(msgpack.packb([5, {}]), id="cancel-without-id"),
    pytest.param(msgpack.packb([7]), id="close-without-error-item"),
    pytest.param(msgpack.packb([7, None, "yes"]), id="allow-reconnect-not-a-boolean"),
    pytest.param(msgpack.packb([8, "36"]), id="sequence-id-not-an-integer"),
    pytest.param(msgpack.packb([6]) + b"\x00", id="trailing-bytes"),
    pytest.param(b"\x92\x01", id="truncated-array"),
    pytest.param(b"\xc1", id="never-used-byte"),
    pytest.param(b"\x91\xa2\xff\xfe", id="invalid-utf8"),
    pytest.param(b"\x91" * 3000 + b"\x06", id="nested-too-deep"),
    pytest.param(b"", id="empty-body"),
]


@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_messages_are_refused_with_a_protocol_error(body: bytes):
    with pytest.raises(ProtocolError) as refused:
        MSGPACK.decoder(max_message_size=64 * 1024).read(frame(body))
    assert refused.value.close_message().error is not None


def test_text_frames_are_refused():
    with pytest.raises(ProtocolError, match="binary"):
        MSGPACK.decoder().read('{"type":6}\x1e')


def test_a_message_over_the_size_limit_is_refused_from_its_length_alone():
    with pytest.raises(ProtocolError, match="maximum message size of 16B"):
        MSGPACK.decoder(max_message_size=16).read(frame(bytes(17))[:2])


@settings(derandomize=True, database=None)
@given(messages=st.lists(hub_messages(msgpack_values), max_size=6), data=st.data())
def test_any_messages_round_trip_through_any_frame_splitting(messages: list[HubMessage], data: st.DataObject):
    stream = b"".join(MSGPACK.encode(message) for message in messages)
    decoder = MSGPACK.decoder(max_message_size=1 << 20)
    decoded = [message for piece in data.draw(frames(stream)) for message in decoder.read(piece)]
    assert decoded == messages


@settings(derandomize=True, database=None)
@given(st.lists(st.binary(max_size=40) | st.binary(max_size=30).map(frame), max_size=5))
def test_arbitrary_bytes_yield_messages_or_a_protocol_error_only(chunks: list[bytes]):
    decoder = MSGPACK.decoder(max_message_size=64)
    with contextlib.suppress(ProtocolError):
        for chunk in chunks:
            decoder.read(chunk)
