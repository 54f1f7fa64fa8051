"""The SignalR server protocol around the hub messages: negotiate, connections, handshake, keep-alive,
replies to client invocations, and the whole exchange of reference C7."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from emulators.amove import signalr
from emulators.amove.signalr import (
    Close,
    Completion,
    ConnectionRegistry,
    HubException,
    HubMethod,
    Invocation,
    JsonHubProtocol,
    KeepAlive,
    MessagePackHubProtocol,
    Ping,
    Refusal,
    StreamInvocation,
    Transport,
    hub_reply,
    read_handshake,
)
from emulators.amove.signalr.connections import HELD_LIMIT
from emulators.core.ids import Ids

# The ids of TransportProtocols.md's examples, handed out in the order negotiate asks for them.
SPEC_ID = "807809a5-31bf-470d-9e23-afaee35d8a0d"
SPEC_TOKEN = "05265228-1e2c-46c5-82a1-6a5bcc3f0143"
SPEC_TRANSPORTS = [
    {"transport": "WebSockets", "transferFormats": ["Text", "Binary"]},
    {"transport": "ServerSentEvents", "transferFormats": ["Text"]},
    {"transport": "LongPolling", "transferFormats": ["Text", "Binary"]},
]


class ListedIds:
    """An id source that hands out the given ids in order."""

    def __init__(self, *ids: str) -> None:
        self._ids = list(ids)

    def uuid(self) -> str:
        return self._ids.pop(0)


def registry(*ids: str) -> ConnectionRegistry:
    return ConnectionRegistry(ListedIds(*ids) if ids else Ids(7))


# Negotiate (TransportProtocols.md; reference C1).
def test_negotiate_without_a_version_answers_version_0_with_the_connection_id_only():
    assert registry(SPEC_ID).negotiate(None) == {
        "connectionId": SPEC_ID,
        "negotiateVersion": 0,
        "availableTransports": SPEC_TRANSPORTS,
    }


def test_negotiate_version_1_adds_the_connection_token():
    document = registry(SPEC_ID, SPEC_TOKEN).negotiate("1")
    assert document == {
        "connectionToken": SPEC_TOKEN,
        "connectionId": SPEC_ID,
        "negotiateVersion": 1,
        "availableTransports": SPEC_TRANSPORTS,
    }


@pytest.mark.parametrize(
    ("requested", "answered"), [("0", 0), ("1", 1), ("2", 1), ("+1", 1), ("2147483647", 1)]
)
def test_negotiate_answers_the_requested_version_or_its_highest(requested: str, answered: int):
    assert registry().negotiate(requested)["negotiateVersion"] == answered


@pytest.mark.parametrize(
    ("requested", "error"),
    [
        ("-1", "The client requested version '-1', but the server does not support this version."),
        ("one", "The client requested a non-integer protocol version."),
        ("", "The client requested a non-integer protocol version."),
        ("1.0", "The client requested a non-integer protocol version."),
        ("2147483648", "The client requested a non-integer protocol version."),
    ],
)
def test_negotiate_refuses_a_bad_version_with_an_error_document(requested: str, error: str):
    hub = registry()
    assert hub.negotiate(requested) == {"error": error}
    assert len(hub) == 0


def test_the_transports_offered_are_a_parameter_and_keep_their_formats():
    document = registry().negotiate("1", transports=[Transport.LONG_POLLING, Transport.WEB_SOCKETS])
    assert document["availableTransports"] == [SPEC_TRANSPORTS[2], SPEC_TRANSPORTS[0]]
    # signalrcore takes the first format of the transport it uses: Text means JSON.
    assert registry().negotiate(None, transports=[Transport.WEB_SOCKETS])["availableTransports"] == [
        {"transport": "WebSockets", "transferFormats": ["Text", "Binary"]}
    ]


def test_ids_come_from_the_seeded_source():
    first, again = registry().negotiate("1"), registry().negotiate("1")
    assert first == again
    assert first["connectionId"] != first["connectionToken"]


# The connections registry (TransportProtocols.md, "WebSockets"; reference C2).
def test_a_websocket_may_name_the_connection_by_token_or_by_id():
    for name in (SPEC_TOKEN, SPEC_ID):
        hub = registry(SPEC_ID, SPEC_TOKEN)
        hub.negotiate("1")
        connection = hub.attach(name, Transport.WEB_SOCKETS)
        assert not isinstance(connection, Refusal)
        assert (connection.connection_id, connection.connection_token) == (SPEC_ID, SPEC_TOKEN)
        assert hub.find(SPEC_ID) is hub.find(SPEC_TOKEN) is connection


def test_version_0_uses_the_connection_id_as_the_token():
    hub = registry(SPEC_ID)
    hub.negotiate(None)
    connection = hub.attach(SPEC_ID, Transport.WEB_SOCKETS)
    assert not isinstance(connection, Refusal)
    assert connection.connection_token == SPEC_ID
    assert len(hub) == 1


def test_a_websocket_without_an_id_gets_a_fresh_connection():
    hub = registry("fresh")
    connection = hub.attach(None, Transport.WEB_SOCKETS)
    assert not isinstance(connection, Refusal)
    assert (connection.connection_id, connection.transport, connection.attached) == (
        "fresh",
        Transport.WEB_SOCKETS,
        True,
    )


def test_an_unknown_id_is_404():
    hub = registry()
    hub.negotiate("1")
    assert hub.attach("no-such-connection", Transport.WEB_SOCKETS) == Refusal(
        404, "No Connection with that ID"
    )
    assert hub.sender("no-such-connection") == Refusal(404, "No Connection with that ID")


@pytest.mark.parametrize("transport", [Transport.WEB_SOCKETS, Transport.SERVER_SENT_EVENTS])
def test_a_second_transport_for_a_connected_id_is_409(transport: Transport):
    hub = registry(SPEC_ID, SPEC_TOKEN)
    hub.negotiate("1")
    assert not isinstance(hub.attach(SPEC_TOKEN, transport), Refusal)
    refusal = hub.attach(SPEC_ID, transport)
    assert isinstance(refusal, Refusal) and refusal.status == 409


def test_a_new_poll_replaces_the_pending_one_and_a_released_poll_can_come_back():
    hub = registry(SPEC_ID, SPEC_TOKEN)
    hub.negotiate("1")
    first = hub.attach(SPEC_TOKEN, Transport.LONG_POLLING)
    assert not isinstance(first, Refusal)
    assert hub.attach(SPEC_TOKEN, Transport.LONG_POLLING) is first
    hub.release(first)
    assert not first.attached
    assert hub.attach(SPEC_TOKEN, Transport.LONG_POLLING) is first


def test_a_connection_keeps_its_first_transport():
    hub = registry(SPEC_ID, SPEC_TOKEN)
    hub.negotiate("1")
    connection = hub.attach(SPEC_TOKEN, Transport.SERVER_SENT_EVENTS)
    assert not isinstance(connection, Refusal)
    hub.release(connection)
    assert hub.attach(SPEC_TOKEN, Transport.WEB_SOCKETS) == Refusal(
        400, "Cannot change transports mid-connection"
    )


@pytest.mark.parametrize("transport", [Transport.SERVER_SENT_EVENTS, Transport.LONG_POLLING])
def test_the_http_transports_need_an_id(transport: Transport):
    hub = registry()
    assert hub.attach(None, transport) == Refusal(400, "Connection ID required")
    assert hub.attach("", transport) == Refusal(400, "Connection ID required")
    assert hub.sender(None) == Refusal(400, "Connection ID required")
    assert len(hub) == 0


def test_http_posts_reach_sse_and_polling_connections_but_not_websocket_ones():
    hub = registry("a", "a-token", "b", "b-token")
    hub.negotiate("1")
    hub.negotiate("1")
    hub.attach("a-token", Transport.SERVER_SENT_EVENTS)
    hub.attach("b-token", Transport.WEB_SOCKETS)
    assert hub.sender("a") is hub.find("a")
    refusal = hub.sender("b-token")
    assert isinstance(refusal, Refusal) and refusal.status == 405


def test_a_closed_connection_is_forgotten_by_id_and_token():
    hub = registry(SPEC_ID, SPEC_TOKEN)
    hub.negotiate("1")
    connection = hub.attach(SPEC_TOKEN, Transport.WEB_SOCKETS)
    assert not isinstance(connection, Refusal)
    hub.close(connection)
    assert len(hub) == 0
    assert hub.find(SPEC_ID) is None and hub.find(SPEC_TOKEN) is None
    assert hub.attach(SPEC_TOKEN, Transport.WEB_SOCKETS) == Refusal(404, "No Connection with that ID")


def test_bytes_posted_before_the_transport_starts_wait_for_it():
    hub = registry(SPEC_ID, SPEC_TOKEN)
    hub.negotiate("1")
    connection = hub.sender(SPEC_TOKEN)
    assert connection is hub.find(SPEC_ID) and connection is not None
    assert connection.keep(b'{"protocol":"json",') and connection.keep(b'"version":1}\x1e')
    assert not connection.keep(b"x" * HELD_LIMIT)  # past what the server holds
    assert connection.take_held() == b'{"protocol":"json","version":1}\x1e'
    assert connection.take_held() == b""


def test_delete_ends_only_polling_connections():
    hub = registry("a", "a-token", "b", "b-token", "c", "c-token")
    for _ in range(3):
        hub.negotiate("1")
    hub.attach("a-token", Transport.LONG_POLLING)
    hub.attach("b-token", Transport.SERVER_SENT_EVENTS)
    assert hub.terminator("a-token") is hub.find("a")
    not_polling = Refusal(400, "Cannot terminate this connection using the DELETE endpoint.")
    assert hub.terminator("b-token") == hub.terminator("c-token") == not_polling  # c has no transport
    assert hub.terminator(None) == Refusal(400, "Connection ID required")
    assert hub.terminator("nope") == Refusal(404, "No Connection with that ID")


def test_an_idle_connection_expires_only_with_its_latest_mark():
    hub = registry(SPEC_ID, SPEC_TOKEN)
    hub.negotiate("1")
    connection = hub.find(SPEC_TOKEN)
    assert connection is not None
    hub.attach(SPEC_TOKEN, Transport.LONG_POLLING)
    assert not hub.expire(connection, 0)  # held by a poll since negotiate
    first = hub.release(connection)
    hub.attach(SPEC_TOKEN, Transport.LONG_POLLING)
    second = hub.release(connection)
    assert second != first
    assert not hub.expire(connection, first)  # polled again since
    assert hub.expire(connection, second)
    assert hub.find(SPEC_ID) is None
    assert not hub.expire(connection, second)  # already gone


def test_a_negotiated_connection_nobody_uses_expires_with_mark_0():
    hub = registry(SPEC_ID, SPEC_TOKEN)
    hub.negotiate("1")
    connection = hub.find(SPEC_ID)
    assert connection is not None and connection.idle_mark == 0
    assert hub.expire(connection, 0)
    assert len(hub) == 0


# The handshake (HubProtocol.md, "Overview"; reference C3).
@pytest.mark.parametrize("version", [0, 1])
def test_a_json_handshake_of_version_0_or_1_is_accepted(version: int):
    handshake = read_handshake(f'{{"protocol":"json","version":{version}}}\x1e')
    assert handshake is not None and handshake.error is None
    assert isinstance(handshake.protocol, JsonHubProtocol)
    assert handshake.reply == b"{}\x1e"
    assert handshake.remainder == b""


def test_a_messagepack_handshake_is_accepted_on_a_binary_transport():
    handshake = read_handshake(b'{"protocol":"messagepack","version":1}\x1e')
    assert handshake is not None
    assert isinstance(handshake.protocol, MessagePackHubProtocol)
    assert handshake.reply == b"{}\x1e"


def test_messages_after_the_handshake_in_the_same_frame_are_kept():
    handshake = read_handshake(b'{"protocol":"json","version":1}\x1e{"type":6}\x1e{"type":1,"tar')
    assert handshake is not None and handshake.protocol is not None
    assert handshake.remainder == b'{"type":6}\x1e{"type":1,"tar'
    decoder = handshake.protocol.decoder()
    assert decoder.read(handshake.remainder) == [Ping()]
    assert decoder.read('get":"a","arguments":[]}\x1e') == [Invocation("a", [])]


def test_a_handshake_split_over_frames_waits_for_its_separator():
    received = b""
    for piece in (b'{"protocol":', b'"json","ver', b'sion":1}'):
        received += piece
        assert read_handshake(received) is None
    handshake = read_handshake(received + b"\x1e")
    assert handshake is not None and handshake.reply == b"{}\x1e"


@pytest.mark.parametrize(
    ("request_text", "options", "error"),
    [
        ('{"protocol":"xml","version":1}', {}, "The protocol 'xml' is not supported."),
        (
            '{"protocol":"messagepack","version":1}',
            {"protocols": ["json"]},
            "The protocol 'messagepack' is not supported.",
        ),
        (
            '{"protocol":"json","version":2}',
            {},
            "The server does not support version 2 of the 'json' protocol.",
        ),
        (
            '{"protocol":"json","version":-1}',
            {},
            "The server does not support version -1 of the 'json' protocol.",
        ),
        (
            '{"protocol":"messagepack","version":1}',
            {"transfer_formats": ["Text"]},
            "Cannot use the 'messagepack' protocol on the current transport. "
            "The transport does not support 'Binary' transfer format.",
        ),
    ],
)
def test_an_unknown_protocol_or_version_gets_the_error_reply(request_text: str, options: dict, error: str):
    handshake = read_handshake(request_text + "\x1e", **options)
    assert handshake is not None
    assert (handshake.protocol, handshake.error) == (None, error)
    assert handshake.reply == json.dumps({"error": error}, separators=(",", ":")).encode() + b"\x1e"


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"not json\x1e",
        b"[1]\x1e",
        b'{"version":1}\x1e',
        b'{"protocol":"json"}\x1e',
        b'{"protocol":"json","version":"1"}\x1e',
        b'{"protocol":"json","version":true}\x1e',
        b'{"protocol":1,"version":1}\x1e',
        b'{"type":6}\x1e',
        b'{"protocol":"json","version":1,"x":"\xff"}\x1e',
        b"\x1e",
    ],
)
def test_an_unreadable_handshake_gets_an_error_reply_not_an_exception(request_bytes: bytes):
    handshake = read_handshake(request_bytes)
    assert handshake is not None
    assert (handshake.request, handshake.protocol) == (None, None)
    assert handshake.reply == b'{"error":"An unexpected error occurred during connection handshake."}\x1e'


def test_an_endless_handshake_is_refused_at_the_size_limit():
    assert read_handshake(b'{"protocol":"' + b"j" * 100, max_size=200) is None
    handshake = read_handshake(b'{"protocol":"' + b"j" * 300, max_size=200)
    assert handshake is not None and handshake.error is not None


def test_no_handshake_reply_has_a_type_property():
    requests = [b'{"protocol":"json","version":1}\x1e', b'{"protocol":"x","version":1}\x1e', b"{\x1e"]
    for request in requests:
        handshake = read_handshake(request)
        assert handshake is not None
        assert handshake.reply.endswith(b"\x1e")
        assert "type" not in json.loads(handshake.reply[:-1])


# Keep-alive (reference C5; HubProtocol.md, "Ping").
def test_the_default_policy_is_the_aspnet_core_one():
    policy = KeepAlive()
    assert (policy.ping_interval, policy.client_timeout, policy.handshake_timeout) == (15.0, 30.0, 15.0)


def test_the_next_ping_is_one_interval_after_the_last_message_sent():
    policy = KeepAlive(ping_interval=10)
    assert policy.next_ping(100.0) == 110.0
    assert not policy.ping_due(100.0, 109.5)
    assert policy.ping_due(100.0, 110.0)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert policy.next_ping(start) == start + timedelta(seconds=10)
    assert policy.ping_due(start, start + timedelta(seconds=10))
    assert not policy.ping_due(start, start + timedelta(seconds=9))


def test_client_and_handshake_timeouts():
    policy = KeepAlive()
    assert not policy.client_timed_out(0.0, 30.0)
    assert policy.client_timed_out(0.0, 30.5)
    assert not policy.handshake_expired(0.0, 15.0)
    assert policy.handshake_expired(0.0, 15.001)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert policy.client_timed_out(start, start + timedelta(seconds=31))


@pytest.mark.parametrize(
    "options", [{"ping_interval": 16}, {"ping_interval": 0}, {"client_timeout": 0}, {"handshake_timeout": -1}]
)
def test_a_policy_that_would_let_clients_time_out_is_refused(options: dict):
    with pytest.raises(ValueError):
        KeepAlive(**options)


# Replies to client invocations (HubProtocol.md, "Invocations", "Non-Blocking Invocations"; reference C4).
def hub_methods(calls: list[object]) -> dict[str, HubMethod]:
    """Add returns a sum, Refuse fails, Record is void and notes its arguments in `calls`."""

    def refuse(arguments: Sequence[object]) -> object:
        raise HubException("It didn't work!")

    return {"Add": lambda arguments: sum(arguments), "Refuse": refuse, "Record": calls.append}


METHODS = hub_methods([])


def test_an_invocation_with_an_id_gets_its_result():
    reply = hub_reply(Invocation("Add", [40, 2], invocation_id="42"), METHODS)
    assert reply == Completion("42", result=42)
    assert JsonHubProtocol().encode(reply) == b'{"type":3,"invocationId":"42","result":42}\x1e'


def test_a_void_method_gets_a_completion_without_result():
    calls: list[object] = []
    assert hub_reply(Invocation("Record", ["x"], invocation_id="1"), hub_methods(calls)) == Completion("1")
    assert calls == [["x"]]


def test_an_unknown_target_gets_an_error_completion():
    assert hub_reply(Invocation("Nope", [], invocation_id="9"), METHODS) == Completion(
        "9", error="Unknown hub method 'Nope'"
    )


def test_a_hub_exception_becomes_the_completion_error():
    assert hub_reply(Invocation("Refuse", [], invocation_id="3"), METHODS) == Completion(
        "3", error="It didn't work!"
    )


def test_a_non_blocking_invocation_runs_but_gets_no_reply():
    calls: list[object] = []
    methods = hub_methods(calls)
    assert hub_reply(Invocation("Record", ["foo"]), methods) is None
    assert hub_reply(Invocation("Nope", []), methods) is None
    assert hub_reply(Invocation("Refuse", []), methods) is None
    assert calls == [["foo"]]


def test_a_stream_invocation_gets_an_error_completion():
    reply = hub_reply(StreamInvocation("5", "Add", [1]), METHODS)
    assert reply is not None and reply.invocation_id == "5" and reply.error is not None
    assert hub_reply(StreamInvocation("6", "Nope", []), METHODS) == Completion(
        "6", error="Unknown hub method 'Nope'"
    )


# Reference C7: the minimal exchange all three clients accept, byte for byte.
@pytest.mark.parametrize(("negotiate_version", "handshake_version"), [(None, 0), ("1", 1)])
def test_the_minimal_exchange_of_reference_c7(negotiate_version: str | None, handshake_version: int):
    hub = registry(SPEC_ID, SPEC_TOKEN)
    document = hub.negotiate(negotiate_version)
    assert document["availableTransports"][0] == {
        "transport": "WebSockets",
        "transferFormats": ["Text", "Binary"],
    }
    connection = hub.attach(
        str(document.get("connectionToken", document["connectionId"])), Transport.WEB_SOCKETS
    )
    assert not isinstance(connection, Refusal)

    handshake = read_handshake(f'{{"protocol":"json","version":{handshake_version}}}\x1e')
    assert handshake is not None and handshake.protocol is not None
    assert handshake.reply == b"{}\x1e"
    protocol, decoder = handshake.protocol, handshake.protocol.decoder()

    assert decoder.read('{"type":6}\x1e') == [Ping()]
    push = Invocation("transferProgress", [{"id": "t1", "transferStatus": 2, "percent": 42.0}])
    assert protocol.encode(push) == (
        b'{"type":1,"target":"transferProgress","arguments":[{"id":"t1","transferStatus":2,"percent":42.0}]}\x1e'
    )
    assert protocol.encode(Ping()) == b'{"type":6}\x1e'
    assert decoder.read('{"type":7}\x1e') == [Close()]
    hub.close(connection)
    assert hub.find(SPEC_ID) is None


def test_the_package_exports_every_name_it_lists_once_in_order():
    exported = signalr.__all__
    assert exported == sorted(set(exported), key=lambda name: (not name.isupper(), name))
    missing = [name for name in exported if not hasattr(signalr, name)]
    assert missing == []
