"""The dashboard's routes without a browser: what the page and its files are, the snapshot stream,
and that the page sits behind exactly the control API's rules (loopback or token, own Host and
Origin, JSON bodies) without weakening them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from ui_helpers import AUTH, JOB_ID, JOBS, create_job

from emulators.app import EmulatorApp, create_app
from emulators.core.dashboard import SECURITY_HEADERS, script_json, snapshot
from emulators.core.service import Page
from emulators.testing import Emulator, LiveEmulator
from emulators.testing.transport import InProcessTransport

BASE = "http://127.0.0.1:8700"
UI = "/_emulator/ui"
TOKEN = "s3cret/+&"


@pytest.fixture
def app() -> EmulatorApp:
    return create_app(clock="manual")


@pytest.fixture
def client(app: EmulatorApp) -> Iterator[httpx.Client]:
    with httpx.Client(transport=InProcessTransport(app), base_url=BASE) as http:
        yield http


def error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    message: str = response.json()["error"]["message"]
    return message


def test_the_page_names_every_service_and_loads_only_its_own_files(client: httpx.Client, app: EmulatorApp):
    page = client.get(UI)

    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    for name, value in SECURITY_HEADERS.items():
        assert page.headers[name] == value
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    sections = re.findall(r'<section class="service" id="service-(\w+)"', page.text)
    assert sections == [s.name for s in app.host.services]
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources == ["data:,", f"{UI}/static/dashboard.css", f"{UI}/static/dashboard.js"]
    embedded = re.search(r'<script type="application/json" id="config">(.*?)</script>', page.text)
    assert embedded is not None
    config = json.loads(embedded[1])
    assert config["api"] == "/_emulator" and config["events"] == f"{UI}/events"
    assert config["services"]["relativity"]["status"] == "transferStatus"
    assert config["services"]["onedata"] == {
        "status": "transferStatus",
        "done": ["filesProcessed"],
        "total": "filesToProcess",
        "unit": "files",
    }


FILES = [("dashboard.js", "text/javascript"), ("dashboard.css", "text/css")]


@pytest.mark.parametrize(("name", "kind"), FILES)
def test_the_script_and_style_sheet_are_served_by_the_emulator(client: httpx.Client, name: str, kind: str):
    served = client.get(f"{UI}/static/{name}")

    assert served.status_code == 200
    assert served.headers["content-type"].startswith(kind)
    assert len(served.text) > 1000


def test_the_script_never_renders_markup():
    script = httpx.Client(transport=InProcessTransport(create_app(clock="manual")), base_url=BASE)
    with script:
        text = script.get(f"{UI}/static/dashboard.js").text
    assert "innerHTML" not in text and "outerHTML" not in text and "insertAdjacentHTML" not in text
    assert "document.write" not in text and "eval(" not in text


def test_an_unknown_file_is_a_json_404(client: httpx.Client):
    assert error(client.get(f"{UI}/static/../control.py"), 404)
    assert error(client.get(f"{UI}/static/other.js"), 404) == "no such dashboard file"


def test_data_for_a_script_element_cannot_close_it():
    text = script_json({"name": "</script><img src=x onerror=alert(1)> & more"})

    assert not {"<", ">", "&"} & set(text)
    assert json.loads(text) == {"name": "</script><img src=x onerror=alert(1)> & more"}


@pytest.mark.parametrize("limit", ["0", "1001", "ten"])
def test_a_stream_of_a_wrong_size_is_refused(client: httpx.Client, limit: str):
    assert error(client.get(f"{UI}/events", params={"limit": limit}), 400).startswith("limit must be")


@pytest.mark.emulator(scenario="default", seed=3)
def test_a_snapshot_holds_what_the_page_shows(emulator: Emulator):
    host = emulator.host
    empty = snapshot(host, Page(10))
    emulator.control.add_fault({"id": "slow", "service": "globus", "action": {"status": 503}})
    emulator.client.get(f"{JOBS}/{JOB_ID}", headers=AUTH)  # no such job yet

    later = snapshot(host, Page(10))

    assert empty["scenario"] == {"name": "default", "description": host.scenario.model.description, "seed": 3}
    assert empty["clock"]["mode"] == "manual"
    assert set(empty["services"]) == {"relativity", "globus", "onedata", "amove"}
    assert empty["services"]["relativity"]["jobs_page"] == {"total": 0, "offset": 0, "next": None}
    assert empty["faults"] == [] and empty["journal"] == {"entries": 0, "last": None}
    assert [rule["id"] for rule in later["faults"]] == ["slow"]
    assert later["journal"] == {"entries": 1, "last": [1, 404]}


def _scope(
    path: str, query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None, client: str = "127.0.0.1"
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1:8700"), *(headers or [])],
        "client": (client, 40000),
        "server": ("127.0.0.1", 8700),
    }


async def _call_and_leave(app: EmulatorApp, scope: dict[str, Any]) -> tuple[int, list[bytes]]:
    """Call the app, leave once the first piece of the body came; returns once the server let go."""
    left = anyio.Event()
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        await left.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message.get("body"):
            chunks.append(message["body"])
            left.set()

    with anyio.fail_after(10):  # a guard against a stream that never ends, not a speed check
        await app(scope, receive, send)
    return status, chunks


def test_the_stream_starts_with_a_snapshot_and_ends_when_the_client_leaves(app: EmulatorApp):
    status, chunks = anyio.run(_call_and_leave, app, _scope(f"{UI}/events", b"limit=5"))

    assert status == 200
    [event] = chunks
    assert event.startswith(b"data: ") and event.endswith(b"\n\n")
    document = json.loads(event.removeprefix(b"data: "))
    assert set(document) == {"clock", "scenario", "pending_events", "services", "faults", "journal"}


@pytest.mark.live
def test_the_stream_sends_a_snapshot_when_state_changes_and_never_blocks_the_server(
    emulator_server: LiveEmulator,
):
    with (
        httpx.Client(base_url=emulator_server.url) as http,
        http.stream("GET", f"{UI}/events") as stream,
    ):
        events = (line for line in stream.iter_lines() if line.startswith("data: "))
        first = json.loads(next(events).removeprefix("data: "))
        create_job(http)  # answered while the stream is open
        emulator_server.control.advance(600)
        statuses = []
        while "Completed" not in statuses:
            jobs = json.loads(next(events).removeprefix("data: "))["services"]["relativity"]["jobs"]
            statuses.append(jobs[JOB_ID]["transferStatus"] if jobs else None)

    assert first["services"]["relativity"]["jobs_page"]["total"] == 0
    assert statuses[-1] == "Completed" and set(statuses) <= {None, "Queued", "Completed"}


# The rules of the control API hold for the page, its files and its stream.

EVERY_ROUTE = [UI, f"{UI}/static/dashboard.js", f"{UI}/events"]


@pytest.mark.parametrize("path", EVERY_ROUTE)
def test_a_foreign_host_or_origin_gets_nothing(client: httpx.Client, path: str):
    assert "does not answer for host" in error(client.get(path, headers={"Host": "evil.example"}), 403)
    origin = {"Origin": "http://evil.example"}
    assert "other origins" in error(client.get(path, headers=origin), 403)


@pytest.mark.parametrize("path", EVERY_ROUTE)
def test_a_remote_client_gets_nothing_without_a_token(app: EmulatorApp, path: str):
    status, chunks = anyio.run(_call_and_leave, app, _scope(path, client="203.0.113.9"))

    assert status == 403
    assert json.loads(b"".join(chunks))["error"]["message"] == "the control API answers loopback clients only"


def test_the_page_does_not_open_the_control_api_to_bodies_a_form_could_send(client: httpx.Client):
    client.get(UI)
    same_origin = {"Origin": BASE}
    for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        answer = client.post(
            "/_emulator/clock", content=b'{"advance": 60}', headers={**same_origin, "Content-Type": kind}
        )
        assert error(answer, 415).startswith("the body must be application/json")
    assert client.post("/_emulator/clock", json={"advance": 1}, headers=same_origin).status_code == 200


@pytest.fixture
def guarded() -> Iterator[httpx.Client]:
    app = create_app(clock="manual", control_token=TOKEN)
    with httpx.Client(transport=InProcessTransport(app), base_url=BASE) as http:
        yield http


def test_with_a_control_token_the_page_needs_it(guarded: httpx.Client):
    assert error(guarded.get(UI), 401) == "a control token is required"
    assert error(guarded.get(UI, params={"token": "wrong"}), 401) == "a control token is required"

    page = guarded.get(UI, params={"token": TOKEN})

    assert page.status_code == 200
    quoted = "s3cret%2F%2B%26"
    assert f'src="{UI}/static/dashboard.js?token={quoted}"' in page.text
    assert guarded.get(f"{UI}/static/dashboard.js", params={"token": TOKEN}).status_code == 200
    assert guarded.get(UI, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


@pytest.mark.parametrize("path", [f"{UI}/events", "/_emulator/state", "/_emulator/clock"])
def test_a_token_in_the_query_opens_the_page_and_nothing_else(guarded: httpx.Client, path: str):
    assert error(guarded.get(path, params={"token": TOKEN}), 401) == "a control token is required"
    assert error(guarded.post("/_emulator/reset", params={"token": TOKEN}), 401)


def test_with_a_control_token_the_stream_takes_it_as_a_bearer_token():
    app = create_app(clock="manual", control_token=TOKEN)
    bearer = [(b"authorization", f"Bearer {TOKEN}".encode())]

    status, chunks = anyio.run(_call_and_leave, app, _scope(f"{UI}/events", headers=bearer))

    assert status == 200 and chunks[0].startswith(b"data: ")
