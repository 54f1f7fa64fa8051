"""HTTPS: the certificate the server makes for itself, a client that trusts its CA (or does not), and
the pytest plugin's live server over TLS."""

from __future__ import annotations

import socket
import ssl
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from emulators.app import create_app
from emulators.server import ThreadedServer, TLSFiles, certificate_names, issue_certificate
from emulators.testing.plugin import LiveEmulator

ONEDATA_DOMAINS = ["onezone.onedata.example", "krakow.onedata.example", "lisbon.onedata.example"]


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return issue_certificate(tmp_path_factory.mktemp("tls"), ["127.0.0.1", *ONEDATA_DOMAINS])


@pytest.fixture(scope="module")
def https_server(tls: TLSFiles) -> Iterator[ThreadedServer]:
    running = ThreadedServer(create_app(clock="manual"), tls=tls).start()
    yield running
    running.stop()


def trusting(ca: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca))


def test_the_certificate_names_each_host_once_without_ports_or_wildcard_addresses():
    names = certificate_names(
        ["0.0.0.0", "krakow.example:8443", "[::1]:9", "https://Files.Example/x", "::", "[bad", "fe80::1"]
    )

    assert names == ["krakow.example", "::1", "files.example", "fe80::1", "localhost", "127.0.0.1"]


def test_the_files_are_pem_and_the_key_is_the_owners_alone(tls: TLSFiles):
    assert tls.ca.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert tls.cert.read_text().count("-----BEGIN CERTIFICATE-----") == 1
    assert "PRIVATE KEY-----" in tls.key.read_text()
    assert stat.S_IMODE(tls.key.stat().st_mode) == 0o600


def test_a_client_trusting_the_ca_verifies_the_server(https_server: ThreadedServer, tls: TLSFiles):
    assert https_server.url.startswith("https://127.0.0.1:")

    with httpx.Client(base_url=https_server.url, verify=trusting(tls.ca)) as client:
        response = client.get("/_emulator/health")

    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_a_client_without_the_ca_refuses_the_certificate(https_server: ThreadedServer):
    with httpx.Client(base_url=https_server.url) as client, pytest.raises(httpx.ConnectError) as refused:
        client.get("/_emulator/health")

    assert "CERTIFICATE_VERIFY_FAILED" in str(refused.value)


def test_a_plain_http_client_gets_no_answer(https_server: ThreadedServer):
    plain = https_server.url.replace("https://", "http://")

    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):  # the handshake fails: closed
        httpx.get(f"{plain}/_emulator/health", timeout=10)


@pytest.mark.parametrize("name", ["localhost", "krakow.onedata.example", "onezone.onedata.example"])
def test_the_certificate_verifies_for_every_name_it_was_made_for(
    https_server: ThreadedServer, tls: TLSFiles, name: str
):
    with (
        socket.create_connection((https_server.host, https_server.port), timeout=10) as raw,
        trusting(tls.ca).wrap_socket(raw, server_hostname=name) as secure,
    ):
        assert secure.version() in ("TLSv1.2", "TLSv1.3")


def test_the_certificate_does_not_verify_for_another_name(https_server: ThreadedServer, tls: TLSFiles):
    with (
        socket.create_connection((https_server.host, https_server.port), timeout=10) as raw,
        pytest.raises(ssl.SSLCertVerificationError, match="mismatch"),
    ):
        trusting(tls.ca).wrap_socket(raw, server_hostname="elsewhere.example")


@pytest.mark.live
@pytest.mark.emulator(tls=True, scenario="onedata-modern-release")
def test_the_live_fixture_serves_https_with_a_ca_to_verify(emulator_server: LiveEmulator):
    assert emulator_server.url.startswith("https://")
    assert emulator_server.ca is not None

    with httpx.Client(base_url=emulator_server.url, verify=trusting(emulator_server.ca)) as client:
        health = client.get("/_emulator/health")

    assert health.json()["scenario"] == "onedata-modern-release"
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{emulator_server.url}/_emulator/health")


@pytest.mark.live
def test_the_live_fixture_stays_plain_http_without_tls(emulator_server: LiveEmulator):
    assert emulator_server.url.startswith("http://")
    assert emulator_server.ca is None
    assert httpx.get(f"{emulator_server.url}/_emulator/health").status_code == 200


def test_the_server_stops_though_a_client_leaves_its_tls_connection_open_and_unread(tls: TLSFiles):
    server = ThreadedServer(create_app(clock="manual"), tls=tls).start()
    with (
        socket.create_connection((server.host, server.port), timeout=10) as raw,
        trusting(tls.ca).wrap_socket(raw, server_hostname="localhost") as secure,
    ):
        secure.sendall(b"GET /_emulator/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert secure.recv(65536).startswith(b"HTTP/1.1 200 ")

        server.stop()  # the client neither reads the server's close_notify nor closes

        assert not server.thread.is_alive()
