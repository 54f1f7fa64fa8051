"""The control API refuses what a web page, a rebinding domain or a runaway client could send:
foreign Host and Origin, bodies of other types, bodies past their cap, and nesting past reason."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from emulators.app import EmulatorApp, create_app
from emulators.core.control import MAX_CONTROL_BODY_BYTES
from emulators.core.scenario import MAX_DEPTH, MAX_SCENARIO_BYTES
from emulators.testing import ControlClient
from emulators.testing.transport import InProcessTransport

JSON = {"Content-Type": "application/json"}
JOB = "/transfer-service/api/v2/transfer/jobs/6f1c3c52-8a4f-4a0e-9d51-3a2b1c0d9e01"
AUTH = {"Authorization": "Bearer relativity-dev-token"}


@pytest.fixture
def app() -> EmulatorApp:
    return create_app(clock="manual", allowed_hosts=["emulator.ci"])


@pytest.fixture
def client(app: EmulatorApp) -> Iterator[httpx.Client]:
    with httpx.Client(transport=InProcessTransport(app), base_url="http://127.0.0.1:8700") as http:
        yield http


def refused(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    message: str = response.json()["error"]["message"]
    assert "\n" not in message
    return message


def advance(client: httpx.Client, **headers: str) -> httpx.Response:
    return client.post("/_emulator/clock", json={"advance": 60}, headers=headers)


# Host and Origin


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8700", "127.0.0.1.nip.io:8700", "localhost.evil.example", ""]
)
def test_a_foreign_host_cannot_reset_advance_or_read(
    client: httpx.Client, app: EmulatorApp, host: str
) -> None:
    before = app.host.world.clock.now()
    message = refused(advance(client, Host=host), 403)
    assert message.startswith(f"the control API does not answer for host {host!r}")
    assert "--allowed-host" in message
    refused(client.get("/_emulator/requests", headers={"Host": host}), 403)
    refused(client.post("/_emulator/reset", headers={"Host": host}), 403)
    assert app.host.world.clock.now() == before


@pytest.mark.parametrize(
    "host", ["127.0.0.1:8700", "localhost:8700", "LOCALHOST", "[::1]:8700", "127.0.0.2", "emulator.ci:80"]
)
def test_loopback_localhost_and_allowed_hosts_are_answered(client: httpx.Client, host: str) -> None:
    assert advance(client, Host=host).status_code == 200


def test_the_address_the_server_was_reached_at_is_its_own() -> None:
    app = create_app(clock="manual")
    with httpx.Client(transport=InProcessTransport(app), base_url="http://emulator.test") as http:
        assert ControlClient(http).advance(1)
        assert refused(http.get("/_emulator/health", headers={"Host": "emulator.ci"}), 403)


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "null", "http://127.0.0.1:9999", "https://127.0.0.1:8700"]
)
def test_a_page_from_another_origin_is_refused(client: httpx.Client, app: EmulatorApp, origin: str) -> None:
    before = app.host.world.clock.now()
    message = refused(advance(client, Origin=origin), 403)
    assert message == f"the control API does not answer web pages from other origins ({origin!r})"
    assert app.host.world.clock.now() == before


def test_its_own_origin_is_answered(client: httpx.Client) -> None:
    assert advance(client, Origin="http://127.0.0.1:8700").status_code == 200


def test_the_right_control_token_is_trusted_whatever_its_host_and_origin() -> None:
    app = create_app(clock="manual", control_token="t")
    with httpx.Client(transport=InProcessTransport(app), base_url="http://emulator.ci:8700") as http:
        foreign = {"Host": "evil.example", "Origin": "http://evil.example"}
        assert advance(http, Authorization="Bearer t", **foreign).status_code == 200
        assert (
            refused(advance(http, Authorization="Bearer x", **foreign), 401) == "a control token is required"
        )


def test_the_data_plane_checks_no_host_or_origin(client: httpx.Client) -> None:
    headers = {**AUTH, "Host": "evil.example", "Origin": "http://evil.example"}
    assert client.get(JOB, headers=headers).status_code == 404


# media types


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/clock", "text/plain"),
        ("/clock", "application/x-www-form-urlencoded"),
        ("/clock", None),
        ("/faults", "multipart/form-data; boundary=x"),
        ("/scenario", "text/plain"),
        ("/reset", "text/plain"),
    ],
)
def test_a_body_of_a_type_no_page_may_send_without_asking_is_refused(
    client: httpx.Client, app: EmulatorApp, path: str, content_type: str | None
) -> None:
    world, before = app.host.world, app.host.world.clock.now()
    headers = {"Content-Type": content_type} if content_type else {}
    body = b'{"advance": 60, "action": {"status": 503}}' if path != "/scenario" else b"version: 1\nseed: 5\n"
    response = client.post(f"/_emulator{path}", content=body, headers=headers)
    assert refused(response, 415).startswith("the body must be application/json")
    assert (app.host.world, world.clock.now(), world.faults.rules) == (world, before, [])


@pytest.mark.parametrize("content_type", ["application/yaml", "text/yaml; charset=utf-8", "application/json"])
def test_a_scenario_comes_as_yaml_or_json(client: httpx.Client, content_type: str) -> None:
    body = b'{"version": 1, "seed": 5}' if content_type == "application/json" else b"version: 1\nseed: 5\n"
    response = client.post("/_emulator/scenario", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 200, response.text
    assert client.get("/_emulator/health").json()["seed"] == 5


def test_the_control_client_sends_what_the_api_accepts(client: httpx.Client) -> None:
    control = ControlClient(client)
    assert control.load_scenario("version: 1\nextends: default\nseed: 3\n")["loaded"] == "default"
    control.add_fault({"service": "relativity", "action": {"status": 503}})
    control.advance(5)
    control.reset()
    assert control.health()["seed"] == 3


# sizes and nesting


def asgi_post(
    app: EmulatorApp, path: str, headers: dict[str, str], chunks: Iterator[bytes]
) -> tuple[int, int]:
    """POST straight to the app: (status, chunks the app asked for)."""
    raw = [(k.lower().encode(), v.encode()) for k, v in {"host": "127.0.0.1", **headers}.items()]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw,
        "server": ("127.0.0.1", 8700),
        "client": ("127.0.0.1", 5000),
    }
    asked, status = 0, 0

    async def receive() -> dict[str, Any]:
        nonlocal asked
        asked += 1
        return {"type": "http.request", "body": next(chunks), "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    anyio.run(app, scope, receive, send)
    return status, asked


def endless(chunk: bytes = b" " * 65536) -> Iterator[bytes]:
    while True:
        yield chunk


@pytest.mark.parametrize(
    ("path", "content_type", "limit"),
    [
        ("/_emulator/clock", "application/json", MAX_CONTROL_BODY_BYTES),
        ("/_emulator/faults", "application/json", MAX_CONTROL_BODY_BYTES),
        ("/_emulator/scenario", "application/yaml", MAX_SCENARIO_BYTES),
    ],
)
def test_a_declared_length_past_the_cap_is_refused_unread(
    app: EmulatorApp, path: str, content_type: str, limit: int
) -> None:
    headers = {"content-type": content_type, "content-length": str(limit + 1)}
    assert asgi_post(app, path, headers, endless()) == (413, 0)


@pytest.mark.parametrize(
    ("path", "content_type", "limit"),
    [
        ("/_emulator/clock", "application/json", MAX_CONTROL_BODY_BYTES),
        ("/_emulator/scenario", "application/yaml", MAX_SCENARIO_BYTES),
    ],
)
def test_a_chunked_body_is_read_only_up_to_the_cap(
    app: EmulatorApp, path: str, content_type: str, limit: int
) -> None:
    headers = {"content-type": content_type, "transfer-encoding": "chunked"}
    status, asked = asgi_post(app, path, headers, endless())
    assert (status, asked) == (413, limit // 65536 + 1)


@pytest.mark.parametrize("path", ["/_emulator/clock", "/_emulator/faults"])
def test_json_nested_thousands_deep_is_a_400_in_one_line(client: httpx.Client, path: str) -> None:
    body = b"[" * 5000 + b"]" * 5000
    assert (
        refused(client.post(path, content=body, headers=JSON), 400)
        == f"the body is nested more than {MAX_DEPTH} deep"
    )
    deep = {"advance": 1, "action": {"status": 503, "body": json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)}}
    assert refused(client.post(path, json=deep), 400) == f"the body is nested more than {MAX_DEPTH} deep"


def test_a_fault_answer_nested_within_the_limit_is_kept(client: httpx.Client) -> None:
    body = json.loads("[" * (MAX_DEPTH - 3) + "]" * (MAX_DEPTH - 3))
    added = client.post("/_emulator/faults", json={"action": {"status": 503, "body": body}})
    assert added.status_code == 201, added.text


def test_a_scenario_holding_itself_is_a_400_with_its_line(client: httpx.Client) -> None:
    response = client.post(
        "/_emulator/scenario",
        content=b"version: 1\nseed: &a [*a]\n",
        headers={"Content-Type": "application/yaml"},
    )
    assert refused(response, 400) == "invalid scenario"
    [problem] = response.json()["error"]["problems"]
    assert (problem["line"], problem["message"]) == (
        2,
        "the alias *a refers to a collection that contains it",
    )


@pytest.mark.parametrize("name", ["f{index.nan:05d}", "f{index:999999999d}"])
def test_a_generated_name_pattern_with_a_lookup_or_a_huge_width_is_a_400(
    client: httpx.Client, name: str
) -> None:
    text = (
        "version: 1\nextends: default\nservices:\n  relativity:\n    azure:\n      devstoreaccount1:\n"
        "        containers:\n          extra:\n            generate:\n"
        f"              - {{count: 3, name: '{name}'}}\n"
    )
    response = client.post("/_emulator/scenario", content=text, headers={"Content-Type": "application/yaml"})
    assert refused(response, 400) == "invalid scenario"
    [problem] = response.json()["error"]["problems"]
    assert "the name pattern cannot be formatted" in problem["message"]


def test_a_scenario_is_parsed_off_the_event_loop(app: EmulatorApp, client: httpx.Client) -> None:
    """Parsing a large scenario takes tenths of a second; the loop must stay free to answer others."""
    on_loop: list[bool] = []
    parse = app.host.parse

    def recording_parse(sources: Any) -> Any:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            on_loop.append(False)
        else:
            on_loop.append(True)
        return parse(sources)

    app.host.parse = recording_parse  # type: ignore[method-assign]
    response = client.post(
        "/_emulator/scenario", content=b"version: 1\nseed: 4\n", headers={"Content-Type": "application/yaml"}
    )
    assert response.status_code == 200, response.text
    assert on_loop == [False]


# loopback


def call_from(app: EmulatorApp, address: str) -> int:
    async def go() -> int:
        transport = httpx.ASGITransport(app=app, client=(address, 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8700") as http:
            return (await http.get("/_emulator/health")).status_code

    return anyio.run(go)


@pytest.mark.parametrize(
    ("address", "status"),
    [
        ("::ffff:127.0.0.1", 200),
        ("::ffff:127.9.9.9", 200),
        ("::1", 200),
        ("::ffff:203.0.113.9", 403),
        ("::", 403),
    ],
)
def test_an_ipv4_loopback_client_seen_through_an_ipv6_socket_is_loopback(
    app: EmulatorApp, address: str, status: int
) -> None:
    assert call_from(app, address) == status


@pytest.mark.parametrize(
    "body",
    [
        b'{"action": {"status": 503, "body": {"x": "\\ud800"}}}',
        b'{"action": {"status": 503, "message": "a\\udfff"}}',
    ],
    ids=["body", "message"],
)
def test_a_rule_holding_a_lone_surrogate_is_a_400_not_a_500(client: httpx.Client, body: bytes) -> None:
    response = client.post("/_emulator/faults", content=body, headers=JSON)
    assert refused(response, 400) == "the body is not JSON: it holds a lone UTF-16 surrogate"
    assert client.get("/_emulator/faults").json() == []
