"""What the core does when time moves, proven with a test-only service (`clockwork.py`): callbacks
through the outbox, pushes to WebSocket subscribers, milestones that follow their job, and the
guarantee that when a clock advance returns, everything due up to the new time has happened."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from clockwork import CLOCKWORK
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from websockets.sync.client import connect

from emulators.app import create_app
from emulators.core.console import Console
from emulators.core.scenario import load_scenario
from emulators.server import ThreadedServer
from emulators.testing import ControlClient, Emulator
from emulators.testing.transport import InProcessTransport
from emulators.testing.websocket import WebSocketClosed, WebSocketRefused

SCENARIO = """
version: 1
clock: {start: "2030-01-01T00:00:00Z", mode: manual}
services:
  clockwork: {push_interval: 10}
"""


@dataclass
class Receiver:
    """A real HTTP server that records the callbacks it gets; answers with `statuses` in turn."""

    url: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server: ThreadedServer | None = None

    async def record(request: Request) -> Response:
        received.calls.append({"path": request.url.path, "body": json.loads(await request.body())})
        return Response(status_code=received.statuses.pop(0) if received.statuses else 204)

    server = ThreadedServer(Starlette(routes=[Route("/{path:path}", record, methods=["POST"])])).start()
    received = Receiver(server.url)
    yield received
    server.stop()


def app() -> Any:
    scenario = load_scenario([("clockwork.yaml", SCENARIO)], {"clockwork": CLOCKWORK.section})
    return create_app(scenario=scenario, services=[CLOCKWORK])


@pytest.fixture
def clockwork() -> Iterator[Emulator]:
    application = app()
    transport = InProcessTransport(application)
    client = httpx.Client(transport=transport, base_url="http://emulator.test")
    yield Emulator(application, client, ControlClient(client), transport)
    client.close()


def start_job(emulator: Emulator, job_id: str, seconds: float, **extra: Any) -> None:
    body = {"id": job_id, "seconds": seconds, **extra}
    assert emulator.client.post("/clockwork/jobs", json=body).status_code == 201


def outbound(emulator: Emulator) -> list[dict[str, Any]]:
    return [e for e in emulator.control.requests() if e["direction"] == "outbound"]


# -- the outbox ----------------------------------------------------------------------------------


def test_a_callback_due_at_30_s_is_delivered_once_before_the_advance_returns(
    clockwork: Emulator, receiver: Receiver
) -> None:
    start_job(clockwork, "j1", 30, callback=f"{receiver.url}/done")
    clockwork.advance(29)
    assert receiver.calls == []
    clockwork.advance(31)  # to t = 60: the job finished at t = 30
    assert receiver.calls == [{"path": "/done", "body": {"id": "j1"}}]
    clockwork.advance(60)
    assert len(receiver.calls) == 1  # exactly once
    [entry] = outbound(clockwork)
    assert (entry["method"], entry["url"], entry["status"], entry["error"]) == (
        "POST",
        f"{receiver.url}/done",
        204,
        None,
    )
    assert entry["time"] == "2030-01-01T00:00:30+00:00"  # journaled at the virtual time it was due
    assert json.loads(entry["body"]) == {"id": "j1"}


def test_an_unreachable_target_is_journaled_as_failed_and_nothing_else_breaks(
    clockwork: Emulator, receiver: Receiver
) -> None:
    start_job(clockwork, "lost", 5, callback="http://127.0.0.1:9/nobody-listens")
    start_job(clockwork, "kept", 10, callback=f"{receiver.url}/kept")
    clockwork.advance(60)
    lost, kept = outbound(clockwork)
    assert (lost["status"], kept["status"]) == (None, 204)
    assert lost["error"] and "Connect" in lost["error"]
    assert receiver.calls == [{"path": "/kept", "body": {"id": "kept"}}]
    assert clockwork.client.get("/clockwork/jobs/lost").json()["status"] == "done"


def test_the_service_decides_retries_and_each_attempt_is_journaled(
    clockwork: Emulator, receiver: Receiver
) -> None:
    receiver.statuses = [500, 503]
    start_job(clockwork, "r", 10, callback=f"{receiver.url}/r", retries=3)
    clockwork.advance(60)  # attempts at t = 10, 15 and 20, all due before t = 60
    assert [e["status"] for e in outbound(clockwork)] == [500, 503, 204]
    assert [e["time"][-14:-6] for e in outbound(clockwork)] == ["00:00:10", "00:00:15", "00:00:20"]
    assert len(receiver.calls) == 3


def test_an_outbound_fault_rule_drops_a_callback(clockwork: Emulator, receiver: Receiver) -> None:
    clockwork.control.add_fault(
        {"id": "lose", "direction": "outbound", "path": "/x", "action": {"drop": True}}
    )
    start_job(clockwork, "d", 5, callback=f"{receiver.url}/x")
    clockwork.advance(10)
    [entry] = outbound(clockwork)
    assert (entry["fault"], entry["status"], entry["error"]) == ("lose", None, "dropped by a fault rule")
    assert receiver.calls == []
    assert clockwork.control.faults()[0]["fired"] == 1


def test_an_outbound_fault_rule_answers_in_the_targets_place(clockwork: Emulator, receiver: Receiver) -> None:
    clockwork.control.add_fault({"direction": "outbound", "first": 1, "action": {"status": 502}})
    start_job(clockwork, "f", 5, callback=f"{receiver.url}/f", retries=1)
    clockwork.advance(20)
    assert [e["status"] for e in outbound(clockwork)] == [502, 204]
    assert len(receiver.calls) == 1  # the first attempt never reached the target


def test_inbound_rules_leave_callbacks_alone(clockwork: Emulator, receiver: Receiver) -> None:
    clockwork.control.add_fault({"path": "/cb", "action": {"status": 500}})
    start_job(clockwork, "i", 5, callback=f"{receiver.url}/cb")
    clockwork.advance(10)
    assert [e["status"] for e in outbound(clockwork)] == [204]


# -- milestones ----------------------------------------------------------------------------------


def test_a_cancelled_jobs_milestone_never_fires(clockwork: Emulator, receiver: Receiver) -> None:
    start_job(clockwork, "c", 30, callback=f"{receiver.url}/c")
    clockwork.advance(10)
    assert clockwork.client.delete("/clockwork/jobs/c").json()["status"] == "cancelled"
    clockwork.advance(100)
    assert receiver.calls == []
    assert outbound(clockwork) == []
    assert clockwork.client.get("/clockwork/jobs/c").json()["status"] == "cancelled"


def test_a_paused_jobs_milestone_moves_by_the_pause(clockwork: Emulator, receiver: Receiver) -> None:
    start_job(clockwork, "p", 30, callback=f"{receiver.url}/p")
    clockwork.advance(10)
    clockwork.client.post("/clockwork/jobs/p/pause")
    clockwork.advance(100)  # paused from t = 10 to t = 110: nothing due
    assert receiver.calls == []
    clockwork.client.post("/clockwork/jobs/p/resume")
    clockwork.advance(19)
    assert receiver.calls == []
    clockwork.advance(1)  # 20 s of work were left: due at t = 130
    [entry] = outbound(clockwork)
    assert entry["time"] == "2030-01-01T00:02:10+00:00"


# -- pushes --------------------------------------------------------------------------------------

# With push_interval 10 and a job of 25 s started at t = 0, the pushes up to t = 40 in due order.
EXPECTED = [
    {"tick": "2030-01-01T00:00:00+00:00"},
    {"id": "w", "status": "running", "at": "2030-01-01T00:00:00+00:00"},
    {"tick": "2030-01-01T00:00:10+00:00"},
    {"tick": "2030-01-01T00:00:20+00:00"},
    {"id": "w", "status": "done", "at": "2030-01-01T00:00:25+00:00"},
    {"tick": "2030-01-01T00:00:30+00:00"},
    {"tick": "2030-01-01T00:00:40+00:00"},
]


def test_a_subscriber_hears_pushes_at_the_interval_and_on_status_changes_in_order(
    clockwork: Emulator,
) -> None:
    with clockwork.websocket("/clockwork/live") as live:
        start_job(clockwork, "w", 25)  # t = 0: the first tick is due too
        clockwork.advance(40)
        heard = [json.loads(live.receive_text()) for _ in EXPECTED]
    assert heard == EXPECTED


def test_pushes_reach_a_real_websocket_client_over_a_socket() -> None:
    server = ThreadedServer(app()).start()
    try:
        with (
            httpx.Client(base_url=server.url) as http,
            connect(f"ws://{server.host}:{server.port}/clockwork/live") as live,
        ):
            control = ControlClient(http)
            assert http.post("/clockwork/jobs", json={"id": "w", "seconds": 25}).status_code == 201
            control.advance(40)  # when it returns, every push due has been sent
            heard = [json.loads(live.recv(timeout=10)) for _ in EXPECTED]
            journal = control.requests(path="/clockwork/live")
    finally:
        server.stop()
    assert heard == EXPECTED
    assert journal[0]["status"] == 101


def test_a_fault_rule_refuses_a_websocket_handshake_in_the_services_format(clockwork: Emulator) -> None:
    clockwork.control.add_fault({"path": "/clockwork/live", "action": {"status": 503, "message": "busy"}})
    with pytest.raises(WebSocketRefused) as refused:
        clockwork.websocket("/clockwork/live")
    assert refused.value.status == 503
    assert json.loads(refused.value.body) == {"error": "busy"}
    [entry] = clockwork.control.requests(path="/clockwork/live")
    assert (entry["status"], entry["fault"]) == (503, "fault-1")


def test_a_fault_rule_closes_a_websocket_after_n_messages(clockwork: Emulator) -> None:
    clockwork.control.add_fault({"path": "/clockwork/live", "action": {"close_after": 2}})
    with clockwork.websocket("/clockwork/live") as live:
        clockwork.advance(40)
        assert [json.loads(live.receive_text()) for _ in range(2)] == [EXPECTED[0], EXPECTED[2]]
        with pytest.raises(WebSocketClosed) as closed:
            live.receive_text()
    assert closed.value.code == 1001


def test_the_journal_keeps_the_handshake_and_the_messages_each_way(clockwork: Emulator) -> None:
    with clockwork.websocket("/clockwork/live?x=1") as live:
        live.send_text("hello")
        clockwork.advance(10)
        live.receive_text()
    [entry] = clockwork.control.requests(path="/clockwork/live")
    assert (entry["method"], entry["status"], entry["query"], entry["body"]) == ("GET", 101, "x=1", "hello")
    assert entry["sent"].splitlines()[0] == json.dumps(EXPECTED[0])


def test_a_websocket_to_a_path_no_service_serves_is_refused(clockwork: Emulator) -> None:
    with pytest.raises(WebSocketRefused) as refused:
        clockwork.websocket("/nowhere")
    assert refused.value.status == 403


def test_the_console_shows_callbacks_with_their_target(clockwork: Emulator, receiver: Receiver) -> None:
    out = io.StringIO()
    clockwork.host.console = Console(out, colour=False)
    start_job(clockwork, "shown", 5, callback=f"{receiver.url}/done")
    clockwork.advance(10)
    [line] = [line for line in out.getvalue().splitlines() if "->" in line]
    assert line.split()[1:6] == ["clockwork", "POST", "->", f"{receiver.url}/done", "204"]


def test_a_callback_target_answering_500_is_not_the_emulators_failure(
    clockwork: Emulator, receiver: Receiver
) -> None:
    receiver.statuses = [500]
    start_job(clockwork, "refused", 5, callback=f"{receiver.url}/r")
    clockwork.advance(10)
    assert [e["status"] for e in outbound(clockwork)] == [500]
    assert clockwork.unexpected_server_errors() == []  # what the plugin's teardown checks
