"""The JSON hub protocol: the reference's and the specification's examples, framing, and refusals."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from signalr_strategies import frames, hub_messages, json_values

from emulators.amove.signalr import (
    NO_RESULT,
    Ack,
    CancelInvocation,
    Close,
    Completion,
    HubMessage,
    Invocation,
    JsonHubProtocol,
    Ping,
    ProtocolError,
    Sequence,
    StreamInvocation,
    StreamItem,
)
from emulators.amove.signalr.json_protocol import dumps, parse_record

JSON = JsonHubProtocol()


# Reference C4 and C7: what the hub pushes and answers, byte for byte.
@pytest.mark.parametrize(
    ("message", "wire"),
    [
        (
            Invocation("transferProgress", [{"id": "t1", "transferStatus": 2, "percent": 42.0}]),
            '{"type":1,"target":"transferProgress","arguments":[{"id":"t1","transferStatus":2,"percent":42.0}]}\x1e',
        ),
        (Ping(), '{"type":6}\x1e'),
        (Close(), '{"type":7}\x1e'),
        (
            Close("Server shutting down", allow_reconnect=True),
            '{"type":7,"error":"Server shutting down","allowReconnect":true}\x1e',
        ),
        (Completion("7", result={"ok": True}), '{"type":3,"invocationId":"7","result":{"ok":true}}\x1e'),
        (Completion("7"), '{"type":3,"invocationId":"7"}\x1e'),
        (Completion("7", result=None), '{"type":3,"invocationId":"7","result":null}\x1e'),
        (
            Completion("7", error="Unknown hub method 'x'"),
            '{"type":3,"invocationId":"7","error":"Unknown hub method \'x\'"}\x1e',
        ),
    ],
)
def test_hub_messages_encode_as_the_reference_shows(message: HubMessage, wire: str):
    assert dumps(message) == wire
    assert JSON.encode(message) == wire.encode()
    assert JSON.decoder().read(wire) == [message]


# HubProtocol.md, "JSON Encoding": every example, as the document prints it (whitespace and all).
SPEC_EXAMPLES: list[tuple[str, HubMessage]] = [
    (
        '{"type": 1, "invocationId": "123", "target": "Send", "arguments": [42, "Test Message"]}',
        Invocation("Send", [42, "Test Message"], invocation_id="123"),
    ),
    (
        '{"type": 1, "target": "Send", "arguments": [42, "Test Message"]}',
        Invocation("Send", [42, "Test Message"]),
    ),
    (
        '{"type": 1, "invocationId": "123", "target": "Send", "arguments": [42], "streamIds": ["1"]}',
        Invocation("Send", [42], invocation_id="123", stream_ids=("1",)),
    ),
    (
        '{"type": 4, "invocationId": "123", "target": "Send", "arguments": [42, "Test Message"]}',
        StreamInvocation("123", "Send", [42, "Test Message"]),
    ),
    ('{"type": 2, "invocationId": "123", "item": 42}', StreamItem("123", 42)),
    ('{"type": 3, "invocationId": "123"}', Completion("123")),
    ('{"type": 3, "invocationId": "123", "result": 42}', Completion("123", result=42)),
    (
        '{"type": 3, "invocationId": "123", "error": "It didn\'t work!"}',
        Completion("123", error="It didn't work!"),
    ),
    ('{"type": 5, "invocationId": "123"}', CancelInvocation("123")),
    ('{"type": 6}', Ping()),
    ('{"type": 7}', Close()),
    (
        '{"type": 7, "error": "Connection closed because of an error!"}',
        Close("Connection closed because of an error!"),
    ),
    (
        '{"type": 7, "error": "Connection closed because of an error!", "allowReconnect": true}',
        Close("Connection closed because of an error!", allow_reconnect=True),
    ),
    ('{"type": 8, "sequenceId": 1394}', Ack(1394)),
    ('{"type": 9, "sequenceId": 1234}', Sequence(1234)),
    (
        '{"type": 1, "headers": {"Foo": "Bar"}, "invocationId": "123", "target": "Send",'
        ' "arguments": [42, "Test Message"]}',
        Invocation("Send", [42, "Test Message"], invocation_id="123", headers={"Foo": "Bar"}),
    ),
]


@pytest.mark.parametrize(("text", "message"), SPEC_EXAMPLES)
def test_specification_examples_decode_and_encode(text: str, message: HubMessage):
    assert JSON.decoder().read(text + "\x1e") == [message]
    assert json.loads(dumps(message)[:-1]) == json.loads(text)


def test_several_messages_in_one_frame_and_one_split_over_frames():
    decoder = JSON.decoder()
    assert decoder.read('{"type":6}\x1e{"type":5,"invocationId":"1"}\x1e{"type":1,"tar') == [
        Ping(),
        CancelInvocation("1"),
    ]
    assert decoder.read('get":"a","argu') == []
    assert decoder.read('ments":[]}\x1e') == [Invocation("a", [])]


def test_a_utf8_character_split_between_binary_frames_is_buffered():
    wire = dumps(Invocation("é", ["ü"])).encode()
    cut = wire.index("é".encode()) + 1
    decoder = JSON.decoder()
    assert decoder.read(wire[:cut]) == []
    assert decoder.read(wire[cut:]) == [Invocation("é", ["ü"])]


def test_unknown_properties_are_ignored_and_null_optionals_count_as_absent():
    text = (
        '{"type":1,"invocationId":null,"target":"a","arguments":[],"streamIds":null,"headers":null,"extra":1}\x1e'
        '{"type":7,"error":null,"allowReconnect":null}\x1e{"type":6,"headers":{}}\x1e'
    )
    assert JSON.decoder().read(text) == [Invocation("a", []), Close(), Ping()]


MALFORMED = [
    pytest.param("not json", id="not-json"),
    pytest.param("[1,2]", id="not-an-object"),
    pytest.param("", id="empty-record"),
    pytest.param('{"target":"a"}', id="no-type"),
    pytest.param('{"type":0}', id="type-0"),
    pytest.param('{"type":10}', id="type-10"),
    pytest.param('{"type":"1"}', id="type-as-string"),
    pytest.param('{"type":true}', id="type-as-boolean"),
    pytest.param('{"type":1.0,"target":"a","arguments":[]}', id="type-as-float"),
    pytest.param('{"type":1,"arguments":[]}', id="invocation-without-target"),
    pytest.param('{"type":1,"target":"a"}', id="invocation-without-arguments"),
    pytest.param('{"type":1,"target":"a","arguments":{}}', id="arguments-not-an-array"),
    pytest.param('{"type":1,"target":7,"arguments":[]}', id="target-not-a-string"),
    pytest.param('{"type":1,"target":"a","arguments":[],"invocationId":5}', id="invocation-id-not-a-string"),
    pytest.param('{"type":1,"target":"a","arguments":[],"streamIds":[1]}', id="stream-id-not-a-string"),
    pytest.param('{"type":1,"target":"a","arguments":[],"headers":{"a":1}}', id="header-not-a-string"),
    pytest.param('{"type":2,"invocationId":"1"}', id="stream-item-without-item"),
    pytest.param('{"type":3}', id="completion-without-id"),
    pytest.param('{"type":3,"invocationId":"1","result":42,"error":"no"}', id="result-and-error"),
    pytest.param('{"type":3,"invocationId":"1","error":5}', id="error-not-a-string"),
    pytest.param('{"type":4,"target":"a","arguments":[]}', id="stream-invocation-without-id"),
    pytest.param('{"type":5}', id="cancel-without-id"),
    pytest.param('{"type":7,"allowReconnect":"yes"}', id="allow-reconnect-not-a-boolean"),
    pytest.param('{"type":8}', id="ack-without-sequence-id"),
    pytest.param('{"type":9,"sequenceId":"3"}', id="sequence-id-not-an-integer"),
    pytest.param('{"type":6,"x":NaN}', id="nan-is-not-json"),
    pytest.param('{"type":6,"x":' + "[" * 5000 + "]" * 5000 + "}", id="nested-too-deep"),
    pytest.param('{"type":6,"x":' + "1" * 5000 + "}", id="integer-too-long"),
]


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_records_are_refused_with_a_protocol_error(text: str):
    with pytest.raises(ProtocolError) as refused:
        JSON.decoder(max_message_size=64 * 1024).read(text + "\x1e")
    close = refused.value.close_message()
    assert close.error is not None and close.error.startswith("Connection closed with an error.")
    assert dumps(close).startswith('{"type":7,"error":"Connection closed with an error.')


def test_invalid_utf8_is_refused():
    with pytest.raises(ProtocolError):
        JSON.decoder().read(b'{"type":6,"x":"\xff"}\x1e')


def test_good_messages_before_a_bad_one_are_delivered_then_the_decoder_stays_refused():
    decoder = JSON.decoder()
    decoder.feed('{"type":6}\x1e{"type":99}\x1e{"type":6}\x1e')
    messages = iter(decoder)
    assert next(messages) == Ping()
    with pytest.raises(ProtocolError, match="Unknown message type: 99"):
        next(messages)
    with pytest.raises(ProtocolError):
        decoder.read('{"type":6}\x1e')


def test_a_message_over_the_size_limit_is_refused_even_before_it_ends():
    decoder = JSON.decoder(max_message_size=20)
    assert decoder.read('{"type":6,"pad":"') == []
    with pytest.raises(ProtocolError, match="maximum message size of 20B"):
        decoder.read("x" * 10)
    with pytest.raises(ProtocolError, match="maximum message size"):
        JSON.decoder(max_message_size=20).read('{"type":6,"pad":"xxxxxxxxxx"}\x1e')


def test_values_json_cannot_carry_are_the_hubs_error_not_the_wire():
    with pytest.raises(ValueError):
        dumps(Invocation("a", [float("nan")]))
    with pytest.raises(TypeError):
        dumps(Invocation("a", [b"bytes"]))


def test_the_record_separator_inside_a_string_is_escaped():
    wire = dumps(Invocation("a", ["x\x1ey"]))
    assert wire.count("\x1e") == 1
    assert JSON.decoder().read(wire) == [Invocation("a", ["x\x1ey"])]


def test_completion_refuses_a_result_and_an_error_together():
    with pytest.raises(ValueError):
        Completion("1", result=1, error="no")
    assert Completion("1").result is NO_RESULT


JSONISH = st.sampled_from('{}[]":,. -0123456789etruflanTyp\x1e\\')


@settings(derandomize=True, database=None)
@given(messages=st.lists(hub_messages(json_values), max_size=6), data=st.data())
def test_any_messages_round_trip_through_any_frame_splitting(messages: list[HubMessage], data: st.DataObject):
    stream = b"".join(JSON.encode(message) for message in messages)
    decoder = JSON.decoder(max_message_size=1 << 20)
    decoded = [message for frame in data.draw(frames(stream)) for message in decoder.read(frame)]
    assert decoded == messages


@settings(derandomize=True, database=None)
@given(st.lists(st.binary(max_size=40) | st.text(max_size=40) | st.text(JSONISH, max_size=40), max_size=5))
def test_arbitrary_input_yields_messages_or_a_protocol_error_only(chunks: list[bytes | str]):
    decoder = JSON.decoder(max_message_size=64)
    with contextlib.suppress(ProtocolError):
        for chunk in chunks:
            decoder.read(chunk)


@settings(derandomize=True, database=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "type",
                "invocationId",
                "target",
                "arguments",
                "result",
                "error",
                "item",
                "streamIds",
                "headers",
                "sequenceId",
                "allowReconnect",
            ]
        ),
        st.integers(0, 10) | json_values,
        max_size=6,
    )
)
def test_any_json_object_parses_or_is_refused_with_a_protocol_error(document: dict[str, object]):
    with contextlib.suppress(ProtocolError):
        parse_record(json.dumps(document))
