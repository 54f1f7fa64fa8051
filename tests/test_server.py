"""The server on a real socket: connections that stall are closed, loopback through an IPv6 socket.

Each stall test runs a server whose deadline under test is far shorter than the client's own wait,
and whose other deadlines are far longer, then checks that the server closed the connection (the
read returns no bytes) rather than the client giving up.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from emulators.app import create_app
from emulators.server import ThreadedServer, Timeouts

SHORT, LONG = 0.05, 1000.0
CLIENT_PATIENCE = 20.0  # seconds the client waits: only a server that never closes reaches it
HEALTH = b"GET /_emulator/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
CLOCK = b"POST /_emulator/clock HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
JOBS = b"POST /transfer-service/api/v2/transfer/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"


def serve(timeouts: Timeouts) -> Iterator[ThreadedServer]:
    running = ThreadedServer(create_app(clock="manual"), timeouts=timeouts).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def header_server() -> Iterator[ThreadedServer]:
    yield from serve(Timeouts(keep_alive=LONG, header=SHORT, body=LONG))


@pytest.fixture(scope="module")
def body_server() -> Iterator[ThreadedServer]:
    yield from serve(Timeouts(keep_alive=LONG, header=LONG, body=SHORT))


@pytest.fixture(scope="module")
def keep_alive_server() -> Iterator[ThreadedServer]:
    yield from serve(Timeouts(keep_alive=SHORT, header=LONG, body=LONG))


def exchange(server: ThreadedServer, sent: bytes) -> bytes:
    """Send `sent`, then everything the server answers until it closes the connection."""
    with socket.create_connection((server.host, server.port), timeout=CLIENT_PATIENCE) as sock:
        received = b""
        try:
            sock.sendall(sent)
            while chunk := sock.recv(65536):
                received += chunk
        except (ConnectionResetError, BrokenPipeError):  # closed while we were still sending
            pass
    return received


@pytest.mark.parametrize(
    "sent",
    [b"", b"GET /_emulator/health HTTP/1.1\r\nHost: 127.", b"\r\n"],
    ids=["nothing", "half", "blank-line"],
)
def test_a_connection_that_does_not_finish_its_headers_is_closed(
    header_server: ThreadedServer, sent: bytes
) -> None:
    assert exchange(header_server, sent) == b""


@pytest.mark.parametrize(
    "sent",
    [
        CLOCK + b'Content-Length: 40\r\n\r\n{"advance":',
        JOBS + b'Transfer-Encoding: chunked\r\n\r\n5\r\n{"tra\r\n',
    ],
    ids=["content-length", "chunked"],
)
def test_a_connection_that_stops_sending_its_body_is_closed(body_server: ThreadedServer, sent: bytes) -> None:
    assert exchange(body_server, sent) == b""


def test_an_idle_connection_is_closed_after_its_response(keep_alive_server: ThreadedServer) -> None:
    answer = exchange(keep_alive_server, HEALTH)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert answer.count(b"HTTP/1.1") == 1


def test_requests_within_the_deadlines_are_served_one_after_another_on_one_connection() -> None:
    for server in serve(Timeouts()):
        with httpx.Client(base_url=server.url) as client:
            for advance in range(1, 6):
                response = client.post("/_emulator/clock", json={"advance": advance})
                assert response.status_code == 200, response.text


def test_a_server_bound_to_every_ipv6_address_answers_ipv4_loopback_clients() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        server = ThreadedServer(create_app(clock="manual"), host="::").start()
    except OSError as exc:
        pytest.skip(f"cannot listen on [::]: {exc}")
    try:
        with httpx.Client() as client:
            response = client.post(f"http://127.0.0.1:{server.port}/_emulator/clock", json={"advance": 1})
    finally:
        server.stop()
    assert response.status_code == 200, response.text
