"""The control API under `/_emulator`, driven through the `emulator` fixture's in-process client."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest
from azure.storage.blob import generate_container_sas

from emulators.app import SERVICES, create_app
from emulators.relativity.scenario import DEV_ACCOUNT_KEY
from emulators.testing import ControlClient, ControlClientError, Emulator
from emulators.testing.plugin import LiveEmulator
from emulators.testing.transport import InProcessTransport

JOB_ID = "6f1c3c52-8a4f-4a0e-9d51-3a2b1c0d9e01"
OTHER_JOB_ID = "0b5c8a7e-4d3f-4e2a-8c1b-9a8f7e6d5c4b"
JOBS = "/transfer-service/api/v2/transfer/jobs"
TOKEN_URL = "/Relativity/Identity/connect/token"
AUTH = {"Authorization": "Bearer relativity-dev-token"}
JSON = {"Content-Type": "application/json"}
YAML = {"Content-Type": "application/yaml"}
DESTINATION = "\\\\files.t001.ctus000001.r1.kcura.com\\T001\\StructuredData\\M1"
GET_JOB_RULE = {
    "service": "relativity",
    "method": "GET",
    "path": "/transfer-service/api/v2/transfer/jobs/*",
    "first": 1,
    "action": {"status": 503, "retry_after": 7},
}
SMALL_SCENARIO = """\
version: 1
name: small-world
seed: 42
clock:
  start: 2030-01-01T00:00:00Z
services:
  relativity:
    users:
      - name: other.user@example.com
        groups: [Transfer Users]
    tokens:
      - token: other-token
        user: other.user@example.com
"""


def source_url(emulator: Emulator) -> str:
    """A container SAS URL for `small`, valid for eight days of the emulator's virtual time."""
    expiry = emulator.control.now() + timedelta(days=8)
    sas = generate_container_sas(
        "devstoreaccount1", "small", account_key=DEV_ACCOUNT_KEY, permission="rl", expiry=expiry
    )
    return f"https://devstoreaccount1.blob.core.windows.net/small?{sas}"


def create_job(emulator: Emulator, job_id: str = JOB_ID) -> None:
    body = {"transferJobID": job_id, "sourcePath": source_url(emulator), "destinationPath": DESTINATION}
    response = emulator.client.post(JOBS, json=body, headers=AUTH)
    assert response.status_code == 200, response.text


def get_job(emulator: Emulator, job_id: str = JOB_ID) -> httpx.Response:
    return emulator.client.get(f"{JOBS}/{job_id}", headers=AUTH)


def error_of(response: httpx.Response, status: int) -> str:
    """The control API's error message, after checking the status and the error format."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["status"] == status
    message: str = error["message"]
    return message


# health


def test_health_names_services_seed_and_manual_clock(emulator: Emulator):
    response = emulator.client.get("/_emulator/health")
    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ready"
    assert health["services"] == [s.name for s in SERVICES]
    assert "relativity" in health["services"]
    assert health["seed"] == 1  # the default scenario's
    assert health["scenario"] == "default"
    assert health["clock"]["mode"] == "manual"
    assert datetime.fromisoformat(health["clock"]["now"]).tzinfo is not None


@pytest.mark.emulator(seed=77)
def test_health_reports_the_seed_given_over_the_scenario(emulator: Emulator):
    assert emulator.control.health()["seed"] == 77


# clock


def test_clock_reads_now_and_mode(emulator: Emulator):
    clock = emulator.client.get("/_emulator/clock").json()
    assert clock["mode"] == "manual"
    assert datetime.fromisoformat(clock["now"]) == emulator.world.clock.now()


def test_clock_stands_still_until_advanced(emulator: Emulator):
    start = emulator.control.now()
    assert emulator.control.now() == start
    response = emulator.client.post("/_emulator/clock", json={"advance": 90.5})
    assert response.status_code == 200
    assert datetime.fromisoformat(response.json()["now"]) == start + timedelta(seconds=90.5)
    assert emulator.control.now() == start + timedelta(seconds=90.5)


def test_clock_set_jumps_to_an_instant(emulator: Emulator):
    target = (emulator.control.now() + timedelta(days=3)).replace(microsecond=0)
    response = emulator.client.post("/_emulator/clock", json={"set": target.isoformat()})
    assert response.status_code == 200
    assert datetime.fromisoformat(response.json()["now"]) == target
    assert emulator.control.set_time(target + timedelta(hours=1)) == target + timedelta(hours=1)


def test_clock_advance_applies_due_events(emulator: Emulator):
    create_job(emulator)
    assert get_job(emulator).json()["transferStatus"] == "Queued"
    emulator.control.advance(3600)
    assert get_job(emulator).json()["transferStatus"] != "Queued"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"advance": 5, "set": "2040-01-01T00:00:00Z"}, "exactly one"),
        ({}, "exactly one"),
        ({"advance": -1}, "backwards"),
        ({"set": "2000-01-01T00:00:00Z"}, "backwards"),
        ({"set": "9999-12-31T23:59:59-05:00"}, "between the years 1 and 9999"),
        ({"advance": 5, "speed": 2}, "speed"),
        ([5], ""),
    ],
    ids=["both", "neither", "negative", "backwards", "past-9999-in-utc", "unknown-key", "not-an-object"],
)
def test_clock_change_refuses_bad_bodies(emulator: Emulator, body: Any, says: str):
    before = emulator.control.now()
    assert says in error_of(emulator.client.post("/_emulator/clock", json=body), 400)
    assert emulator.control.now() == before


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"advance": Infinity}', "advance: Input should be a finite number"),
        (b'{"advance": NaN}', "advance: Input should be a finite number"),
        (b'{"advance": 1e300}', "keeps the clock before the year 10000"),
        (b'{"advance": 1e12}', "keeps the clock before the year 10000"),
    ],
    ids=["infinite", "nan", "huge", "past-9999"],
)
def test_clock_advance_refuses_what_no_clock_can_reach(emulator: Emulator, body: bytes, says: str):
    before = emulator.control.now()
    assert says in error_of(emulator.client.post("/_emulator/clock", content=body, headers=JSON), 400)
    assert emulator.control.now() == before
    assert get_job(emulator).status_code == 404


def test_clock_set_to_the_last_second_then_advance_is_refused_and_the_clock_stays(emulator: Emulator):
    last = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert emulator.control.set_time(last) == last
    response = emulator.client.post("/_emulator/clock", json={"advance": 1})
    assert "before the year 10000" in error_of(response, 400)
    assert emulator.control.now() == last
    assert get_job(emulator).status_code == 404


def test_clock_set_without_an_offset_is_read_as_utc(emulator: Emulator):
    response = emulator.client.post("/_emulator/clock", json={"set": "2040-01-01T00:00:00"})
    assert response.status_code == 200, response.text
    assert emulator.control.now() == datetime(2040, 1, 1, tzinfo=UTC)


def test_clock_change_refuses_a_body_that_is_not_json(emulator: Emulator):
    response = emulator.client.post("/_emulator/clock", content=b"advance=5", headers=JSON)
    assert error_of(response, 400) == "the body is not JSON"


# reset


def test_reset_restores_clock_faults_journal_and_service_state(emulator: Emulator):
    start = emulator.control.now()
    create_job(emulator)
    assert get_job(emulator).status_code == 200
    emulator.control.advance(600)
    emulator.control.add_fault(GET_JOB_RULE)

    response = emulator.client.post("/_emulator/reset")

    assert response.status_code == 200
    assert response.json()["reset"] is True
    assert datetime.fromisoformat(response.json()["clock"]["now"]) == start
    assert emulator.control.now() == start
    assert emulator.control.faults() == []
    assert emulator.control.requests() == []
    assert emulator.control.state()["services"]["relativity"]["jobs"] == {}
    assert get_job(emulator).status_code == 404


def test_reset_brings_back_the_scenarios_own_fault_rules_with_fresh_counters(
    emulator_factory: Any,
):
    emulator = emulator_factory(
        scenario_text="version: 1\nfaults:\n  - id: flaky\n    service: relativity\n"
        "    action: {status: 502}\n"
    )
    assert get_job(emulator).status_code == 502
    emulator.control.remove_fault("flaky")
    assert emulator.control.faults() == []
    emulator.control.reset()
    [rule] = emulator.control.faults()
    assert (rule["id"], rule["matched"], rule["fired"]) == ("flaky", 0, 0)


# scenario


def test_loading_a_scenario_replaces_the_world(emulator: Emulator):
    create_job(emulator)
    response = emulator.client.post("/_emulator/scenario", content=SMALL_SCENARIO.encode(), headers=YAML)
    assert response.status_code == 200
    assert response.json()["loaded"] == "small-world"
    assert response.json()["clock"]["now"] == "2030-01-01T00:00:00+00:00"

    health = emulator.control.health()
    assert (health["scenario"], health["seed"]) == ("small-world", 42)
    relativity = emulator.control.state()["services"]["relativity"]
    assert relativity["users"] == ["other.user@example.com"]
    assert relativity["jobs"] == {}
    assert get_job(emulator).status_code == 401  # the default scenario's token is gone
    other = {"Authorization": "Bearer other-token"}
    assert emulator.client.get(f"{JOBS}/{JOB_ID}", headers=other).status_code == 404

    emulator.control.reset()  # a reset keeps the loaded scenario
    assert emulator.control.health()["scenario"] == "small-world"


def test_an_invalid_scenario_is_refused_with_its_problems_and_the_old_one_stays(emulator: Emulator):
    create_job(emulator)
    bad = "version: 1\nseed: many\nservices:\n  relativity:\n    colour: blue\n"

    response = emulator.client.post("/_emulator/scenario", content=bad.encode(), headers=YAML)

    assert error_of(response, 400) == "invalid scenario"
    problems = response.json()["error"]["problems"]
    colour = {"file": "<request>", "line": 5, "key": "services.relativity.colour", "message": "unknown key"}
    assert colour in problems
    [seed] = [p for p in problems if p["key"] == "seed"]
    assert (seed["file"], seed["line"]) == ("<request>", 2)
    assert emulator.control.health()["scenario"] == "default"
    assert get_job(emulator).status_code == 200


def test_a_scenario_that_is_not_yaml_is_a_problem_too(emulator: Emulator):
    response = emulator.client.post("/_emulator/scenario", content=b"version: [1\n", headers=YAML)
    assert error_of(response, 400) == "invalid scenario"
    [problem] = response.json()["error"]["problems"]
    assert problem["file"] == "<request>"
    assert problem["message"].startswith("not valid YAML")
    with pytest.raises(ControlClientError) as raised:
        emulator.control.load_scenario("version: 2\n")
    assert raised.value.status == 400
    assert raised.value.body["error"]["problems"][0]["key"] == "version"


# state


def test_state_dumps_clock_and_every_service(emulator: Emulator):
    create_job(emulator)
    state = emulator.client.get("/_emulator/state").json()
    assert state["clock"]["mode"] == "manual"
    assert isinstance(state["pending_events"], int)
    relativity = state["services"]["relativity"]
    assert list(relativity["jobs"]) == [JOB_ID]
    assert relativity["jobs"][JOB_ID]["transferJobID"] == JOB_ID
    assert {"small", "files-10k", "files-1m"} <= set(relativity["accounts"]["devstoreaccount1"])
    assert relativity["users"] == ["admin@example.com", "transfer.user@example.com"]


# faults


def test_adding_a_fault_rule_answers_201_with_its_id(emulator: Emulator):
    response = emulator.client.post("/_emulator/faults", json=GET_JOB_RULE)
    assert response.status_code == 201
    rule = response.json()
    assert rule["id"] == "fault-1"
    assert (rule["matched"], rule["fired"]) == (0, 0)
    assert rule["path"] == GET_JOB_RULE["path"]
    assert rule["action"]["retry_after"] == 7
    named = emulator.control.add_fault({"id": "mine", "action": {"status": 500}})
    assert named["id"] == "mine"
    assert [r["id"] for r in emulator.client.get("/_emulator/faults").json()] == ["fault-1", "mine"]


def test_a_first_rule_fails_the_first_call_in_the_services_format_then_lets_calls_pass(
    emulator: Emulator,
):
    create_job(emulator)
    rule = emulator.control.add_fault(GET_JOB_RULE)

    failed = get_job(emulator)
    assert failed.status_code == 503
    assert failed.headers["Retry-After"] == "7"
    assert failed.json() == {
        "statusCode": 503,
        "title": "Service Unavailable",
        "message": "Service Unavailable",
    }
    passed = get_job(emulator)
    assert passed.status_code == 200
    assert passed.json()["transferJobID"] == JOB_ID

    [listed] = emulator.control.faults()
    assert (listed["id"], listed["matched"], listed["fired"]) == (rule["id"], 2, 1)


def test_a_rule_matches_only_its_service_method_and_path(emulator: Emulator):
    emulator.control.add_fault({**GET_JOB_RULE, "first": None})
    assert emulator.client.delete(f"{JOBS}/{JOB_ID}", headers=AUTH).status_code == 404
    assert emulator.client.get(f"{JOBS}/{JOB_ID}/qc", headers=AUTH).status_code == 503  # * spans /
    [rule] = emulator.control.faults()
    assert (rule["matched"], rule["fired"]) == (1, 1)


def test_an_nth_rule_fires_on_that_call_only(emulator: Emulator):
    emulator.control.add_fault(
        {"service": "relativity", "nth": 2, "action": {"status": 500, "message": "second call"}}
    )
    responses = [get_job(emulator) for _ in range(3)]
    assert [r.status_code for r in responses] == [404, 500, 404]
    assert responses[1].json()["message"] == "second call"


def test_probability_rules_are_reproducible_for_the_same_seed(emulator_factory: Any):
    def outcomes(seed: int) -> str:
        emulator = emulator_factory(seed=seed)
        emulator.control.add_fault({"service": "relativity", "probability": 0.5, "action": {"status": 500}})
        return "".join("x" if get_job(emulator).status_code == 500 else "." for _ in range(40))

    first = outcomes(5)
    assert first == outcomes(5)
    assert "x" in first
    assert "." in first
    assert outcomes(6) != first


def test_fault_rules_can_be_removed_one_by_one_or_all_together(emulator: Emulator):
    one = emulator.control.add_fault(GET_JOB_RULE)
    two = emulator.control.add_fault({"service": "relativity", "action": {"status": 500}})
    three = emulator.control.add_fault({"method": "POST", "action": {"status": 500}})

    assert emulator.client.delete(f"/_emulator/faults/{two['id']}").status_code == 204
    assert [r["id"] for r in emulator.control.faults()] == [one["id"], three["id"]]
    assert error_of(emulator.client.delete(f"/_emulator/faults/{two['id']}"), 404) == "no such fault rule"

    assert emulator.client.delete("/_emulator/faults").status_code == 204
    assert emulator.control.faults() == []
    assert get_job(emulator).status_code == 404


def test_a_rule_with_an_id_in_use_is_refused_and_automatic_ids_skip_it(emulator: Emulator):
    mine = {"id": "fault-2", "path": "/mine", "action": {"status": 500}}
    emulator.control.add_fault(mine)
    assert [emulator.control.add_fault(GET_JOB_RULE)["id"] for _ in range(2)] == ["fault-1", "fault-3"]
    again = emulator.client.post("/_emulator/faults", json={**mine, "path": "/other"})
    assert "fault-2" in error_of(again, 409)
    assert [(r["id"], r.get("path")) for r in emulator.control.faults()] == [
        ("fault-2", "/mine"),
        ("fault-1", GET_JOB_RULE["path"]),
        ("fault-3", GET_JOB_RULE["path"]),
    ]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"window": {"end": 1e300}, "action": {"status": 503}}', "window.end"),
        (b'{"window": {"start": NaN}, "action": {"status": 503}}', "window.start"),
        (b'{"window": {"start": 20, "end": 10}, "action": {"status": 503}}', "end must be after"),
        (b'{"window": {"start": 60, "end": "1970-01-01T00:00:30Z"}, "action": {"status": 503}}', "end must"),
        (b'{"action": {"status": 101}}', "action.status"),
        (b'{"action": {"status": 503, "headers": {"X-A": "a\\r\\nX-B: b"}}}', "header 'X-A'"),
        (b'{"action": {"status": 503, "headers": {"X-A": "\\u20ac"}}}', "Latin-1"),
    ],
    ids=["huge-end", "nan-start", "end-first", "end-first-mixed", "informational", "crlf", "euro"],
)
def test_a_rule_that_would_break_requests_is_refused_and_nothing_breaks(
    emulator: Emulator, body: bytes, says: str
):
    response = emulator.client.post("/_emulator/faults", content=body, headers=JSON)
    assert says in error_of(response, 400)
    assert emulator.client.get("/_emulator/faults").json() == []
    assert get_job(emulator).status_code == 404


def test_a_bodiless_fault_answer_keeps_the_connection_usable_over_a_socket(emulator_server: LiveEmulator):
    emulator_server.control.add_fault({"service": "relativity", "first": 1, "action": {"status": 204}})
    with httpx.Client(base_url=emulator_server.url) as http:
        first = http.get(f"{JOBS}/{JOB_ID}", headers=AUTH)
        second = http.get(f"{JOBS}/{JOB_ID}", headers=AUTH)
    assert (first.status_code, first.content) == (204, b"")
    assert second.status_code == 404


def test_a_rule_for_an_unknown_service_is_refused(emulator: Emulator):
    rule = {"service": "dropbox", "action": {"status": 500}}
    response = emulator.client.post("/_emulator/faults", json=rule)
    assert "unknown service 'dropbox'" in error_of(response, 400)
    assert emulator.control.faults() == []


@pytest.mark.parametrize(
    "rule",
    [
        {"service": "relativity"},
        {"action": {}},
        {"nth": 1, "first": 1, "action": {"status": 500}},
        {"action": {"status": 700}},
        {"action": {"status": 199}},
        {"action": {"status": 500}, "colour": "red"},
    ],
    ids=["no-action", "action-does-nothing", "two-triggers", "bad-status", "informational", "unknown-key"],
)
def test_a_malformed_rule_is_refused(emulator: Emulator, rule: dict[str, Any]):
    error_of(emulator.client.post("/_emulator/faults", json=rule), 400)
    assert emulator.control.faults() == []


def test_the_journal_records_which_rule_fired(emulator: Emulator):
    rule = emulator.control.add_fault(GET_JOB_RULE)
    get_job(emulator)
    get_job(emulator)
    entries = emulator.control.requests()
    assert [(e["status"], e["fault"]) for e in entries] == [(503, rule["id"]), (404, None)]


# requests (the journal)


def test_the_journal_filters_by_service_method_path_status_and_limit(emulator: Emulator):
    create_job(emulator)
    get_job(emulator)
    get_job(emulator, OTHER_JOB_ID)
    emulator.client.get("/nowhere")
    emulator.client.get("/_emulator/health")  # the control API is not journaled

    everything = emulator.control.requests()
    assert [(e["method"], e["path"], e["status"]) for e in everything] == [
        ("POST", JOBS, 200),
        ("GET", f"{JOBS}/{JOB_ID}", 200),
        ("GET", f"{JOBS}/{OTHER_JOB_ID}", 404),
        ("GET", "/nowhere", 404),
    ]
    assert [e["id"] for e in everything] == [1, 2, 3, 4]

    def paths(**filters: Any) -> list[str]:
        response = emulator.client.get("/_emulator/requests", params=filters)
        assert response.status_code == 200
        return [e["path"] for e in response.json()]

    assert paths(service="relativity") == [JOBS, f"{JOBS}/{JOB_ID}", f"{JOBS}/{OTHER_JOB_ID}"]
    assert paths(method="post") == [JOBS]
    assert paths(path=f"{JOBS}/") == [f"{JOBS}/{JOB_ID}", f"{JOBS}/{OTHER_JOB_ID}"]
    assert paths(status=404) == [f"{JOBS}/{OTHER_JOB_ID}", "/nowhere"]
    assert paths(method="GET", service="relativity", status=200) == [f"{JOBS}/{JOB_ID}"]
    assert paths(limit=2) == [f"{JOBS}/{OTHER_JOB_ID}", "/nowhere"]
    assert paths(limit=0) == []
    assert error_of(emulator.client.get("/_emulator/requests", params={"status": "bad"}), 400)


def test_clearing_the_journal(emulator: Emulator):
    get_job(emulator)
    assert emulator.client.delete("/_emulator/requests").status_code == 204
    assert emulator.control.requests() == []
    get_job(emulator)
    assert [e["path"] for e in emulator.control.requests()] == [f"{JOBS}/{JOB_ID}"]


def test_every_journal_entry_masks_credentials(emulator: Emulator):
    create_job(emulator)
    emulator.control.add_fault(GET_JOB_RULE)
    get_job(emulator)
    form = {
        "grant_type": "client_credentials",
        "client_id": "transfer-client",
        "client_secret": "transfer-secret",
        "scope": "SystemUserInfo",
    }
    issued = emulator.client.post(TOKEN_URL, data=form).json()["access_token"]
    emulator.client.get(f"{JOBS}/{JOB_ID}", headers={"Authorization": f"Bearer {issued}"})
    emulator.client.get(f"{JOBS}/{JOB_ID}?token=in-the-query", headers=AUTH)

    entries = emulator.control.requests()
    assert len(entries) == 5
    text = json.dumps(entries)
    for secret in ("relativity-dev-token", "transfer-secret", issued, "in-the-query"):
        assert secret not in text
    sig = source_url(emulator).split("sig=")[1]
    assert sig not in text
    authorized = [e for e in entries if "authorization" in e["headers"]]
    assert len(authorized) == 4
    assert {e["headers"]["authorization"] for e in authorized} == {"Bearer ***"}


# who may call it


def call_from(app: Any, address: str, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """One GET from a client at `address`, over httpx's ASGI transport."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(address, 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as http:
            return await http.get(path, headers=headers)

    return anyio.run(go)


def test_the_control_api_refuses_clients_that_are_not_on_loopback():
    app = create_app(clock="manual")
    response = call_from(app, "203.0.113.9", "/_emulator/health")
    assert error_of(response, 403) == "the control API answers loopback clients only"
    assert call_from(app, "203.0.113.9", "/_emulator/faults").status_code == 403
    assert call_from(app, "127.0.0.1", "/_emulator/health").status_code == 200
    assert call_from(app, "::1", "/_emulator/health").status_code == 200
    # The data plane answers everyone.
    assert call_from(app, "203.0.113.9", f"{JOBS}/{JOB_ID}", AUTH).status_code == 404


def test_trusted_clients_may_call_the_control_api_from_elsewhere():
    app = create_app(clock="manual", trusted_clients=frozenset({"203.0.113.9"}))
    assert call_from(app, "203.0.113.9", "/_emulator/health").status_code == 200
    assert call_from(app, "203.0.113.10", "/_emulator/health").status_code == 403


@pytest.mark.parametrize("given", ["Bearer t\u00e9".encode("latin-1"), "Bearer t\u00e9".encode(), b"\xff"])
def test_a_control_token_that_is_not_ascii_is_a_401(given: bytes):
    app = create_app(clock="manual", control_token="t")
    with httpx.Client(transport=InProcessTransport(app), base_url="http://emulator.test") as http:
        response = http.get("/_emulator/health", headers={"Authorization": given})
    assert error_of(response, 401) == "a control token is required"


def test_a_control_token_that_is_not_ascii_itself_is_compared_as_utf_8():
    app = create_app(clock="manual", control_token="t\u00e9")
    with httpx.Client(transport=InProcessTransport(app), base_url="http://emulator.test") as http:
        right = http.get("/_emulator/health", headers={"Authorization": "Bearer t\u00e9".encode()})
        wrong = http.get("/_emulator/health", headers={"Authorization": b"Bearer t"})
    assert (right.status_code, wrong.status_code) == (200, 401)


def test_a_control_token_is_demanded_from_every_client():
    app = create_app(clock="manual", control_token="t")
    with httpx.Client(transport=InProcessTransport(app), base_url="http://emulator.test") as http:
        assert error_of(http.get("/_emulator/health"), 401) == "a control token is required"
        assert http.get("/_emulator/health", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert http.get("/_emulator/health", headers={"Authorization": "Bearer t"}).status_code == 200
        assert ControlClient(http, token="t").health()["status"] == "ready"
        with pytest.raises(ControlClientError) as raised:
            ControlClient(http).faults()
        assert raised.value.status == 401
    remote = call_from(app, "203.0.113.9", "/_emulator/health", {"Authorization": "Bearer t"})
    assert remote.status_code == 200


# routing


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/health"),
        ("GET", "/reset"),
        ("GET", "/scenario"),
        ("DELETE", "/state"),
        ("PUT", "/clock"),
        ("PATCH", "/faults"),
        ("GET", "/faults/fault-1"),
        ("POST", "/requests"),
    ],
)
def test_control_routes_answer_405_for_other_methods(emulator: Emulator, method: str, path: str):
    before = emulator.control.now()
    error_of(emulator.client.request(method, f"/_emulator{path}"), 405)
    assert emulator.control.now() == before


def test_an_unknown_control_path_is_a_404_in_the_control_format(emulator: Emulator):
    error_of(emulator.client.get("/_emulator/nothing-here"), 404)
    assert emulator.control.requests() == []
