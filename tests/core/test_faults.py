"""HTTP fault rules: matching, triggers, windows, delays and the `apply_faults` middleware."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from emulators.core import faults as faults_module
from emulators.core.clock import ManualClock
from emulators.core.errors import ScenarioError
from emulators.core.faults import (
    TRANSPORT_KEY,
    ConnectionDropped,
    FaultAction,
    FaultRule,
    FaultRules,
    TimeWindow,
    apply_faults,
)
from emulators.core.scenario import load_scenario

START = datetime(2030, 1, 1, tzinfo=UTC)
FAIL = {"status": 503}


def rule(**fields: Any) -> FaultRule:
    return FaultRule.model_validate({"action": FAIL, **fields})


def rules(*specs: dict[str, Any], seed: int = 0) -> FaultRules:
    fr = FaultRules(seed, START)
    for spec in specs:
        fr.add(rule(**spec))
    return fr


def fires(
    fr: FaultRules,
    service: str | None = "svc",
    method: str = "GET",
    path: str = "/svc/items",
    headers: dict[str, str] | None = None,
    now: datetime = START,
) -> str | None:
    active = fr.match(service, method, path, headers or {}, now)
    return active.id if active else None


# -- models --------------------------------------------------------------------------------------


def test_an_action_must_do_something() -> None:
    with pytest.raises(ValidationError, match="needs a status, a delay or drop"):
        FaultAction()
    assert FaultAction(drop=True).drop
    assert FaultAction(delay=1).status is None
    assert FaultAction(delay_max=1).delay == 0


def test_delay_max_must_not_be_below_delay() -> None:
    with pytest.raises(ValidationError, match="delay_max"):
        FaultAction(delay=5, delay_max=2)


@pytest.mark.parametrize("status", [100, 101, 199, 600])
def test_an_action_status_must_be_one_http_can_answer_with(status: int) -> None:
    with pytest.raises(ValidationError, match="status"):
        FaultAction(status=status)
    assert FaultAction(status=200).status == 200


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-Bad", "a\r\nSet-Cookie: x=1"),
        ("X-Bad", "a\nb"),
        ("X-Bad", "a\x00b"),
        ("X-Bad", "\u20ac"),
        ("X-Bad", " padded"),
        ("X Bad", "v"),
        ("X-Bad:", "v"),
        ("", "v"),
        ("X-B\u00e4d", "v"),
        ("Content-Length", "9"),
        ("transfer-encoding", "chunked"),
    ],
    ids=[
        "crlf",
        "lf",
        "nul",
        "not-latin-1",
        "leading-space",
        "space-in-name",
        "colon-in-name",
        "empty-name",
        "latin-1-name",
        "content-length",
        "transfer-encoding",
    ],
)
def test_action_headers_must_be_valid_http_header_text(name: str, value: str) -> None:
    with pytest.raises(ValidationError, match="header"):
        FaultAction(status=503, headers={name: value})


def test_action_headers_may_be_latin_1_tokens_with_inner_tabs_or_empty() -> None:
    headers = {"X-Cafe": "caf\u00e9 au\tlait", "X-Empty": "", "WWW-Authenticate": 'Bearer realm="x"'}
    assert FaultAction(status=503, headers=headers).headers == headers


@pytest.mark.parametrize(
    "window",
    [
        {"end": 1e300},
        {"start": -1e300},
        {"start": float("nan")},
        {"end": float("inf")},
        {"start": 10**10 + 1},
        {"start": 20, "end": 10},
        {"start": 10, "end": 10},
        {"start": "2030-01-02T00:00:00Z", "end": "2030-01-01T00:00:00Z"},
        {"start": "2030-01-01T01:00:00+01:00", "end": "2030-01-01T00:00:00Z"},
        {"start": "tomorrow"},
    ],
    ids=[
        "huge",
        "huge-negative",
        "nan",
        "infinite",
        "past-the-limit",
        "end-before-start",
        "empty",
        "times-reversed",
        "same-instant-other-offset",
        "not-a-time",
    ],
)
def test_a_window_that_cannot_be_a_time_or_can_never_open_is_refused(window: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="window"):
        rule(window=window)


def test_a_window_offset_may_go_up_to_the_limit_and_still_fires() -> None:
    fr = rules({"id": "r", "window": {"start": -(10**10), "end": 10**10}})
    assert fires(fr) == "r"


def test_a_window_time_without_an_offset_is_read_as_utc() -> None:
    fr = rules({"id": "r", "window": {"start": "2030-01-02T00:00:00"}})
    assert fr.rules[0].rule.window is not None
    assert fr.rules[0].rule.window.start == datetime(2030, 1, 2, tzinfo=UTC)
    assert fires(fr, now=START) is None
    assert fires(fr, now=START + timedelta(days=1)) == "r"


def test_a_window_mixing_a_time_and_an_offset_is_checked_against_the_clock_start() -> None:
    fr = FaultRules(0, START)
    assert fr.opens(TimeWindow(start=60, end=START + timedelta(minutes=2)))
    assert not fr.opens(TimeWindow(start=60, end=START + timedelta(minutes=1)))
    assert not fr.opens(TimeWindow(start=START + timedelta(minutes=1), end=30))
    assert fr.opens(TimeWindow(start=60)) and fr.opens(TimeWindow(end=START))


def test_a_bad_window_in_a_scenario_is_reported_at_its_line() -> None:
    text = "version: 1\nfaults:\n- action: {status: 503}\n  window:\n    start: 10\n    end: 1.0e+300\n"
    with pytest.raises(ScenarioError) as raised:
        load_scenario([("f.yaml", text)], {})
    assert [(p.file, p.line, p.key) for p in raised.value.problems] == [("f.yaml", 6, "faults.0.window.end")]


def test_a_rule_has_at_most_one_trigger() -> None:
    with pytest.raises(ValidationError, match="at most one"):
        rule(nth=1, first=2)
    with pytest.raises(ValidationError, match="at most one"):
        rule(first=1, probability=0.5)
    with pytest.raises(ValidationError):
        rule(colour="red")


# -- matching ------------------------------------------------------------------------------------


def test_a_bare_rule_fires_on_every_request() -> None:
    fr = rules({"id": "all"})
    assert fires(fr) == "all"
    assert fires(fr, service=None, method="DELETE", path="/") == "all"


def test_rules_match_on_service() -> None:
    fr = rules({"id": "r", "service": "svc"})
    assert fires(fr, service="svc") == "r"
    assert fires(fr, service="other") is None
    assert fires(fr, service=None) is None


def test_rules_match_on_one_or_several_methods_in_any_case() -> None:
    one = rules({"id": "r", "method": "post"})
    assert fires(one, method="POST") == "r"
    assert fires(one, method="GET") is None
    several = rules({"id": "r", "method": ["PUT", "delete"]})
    assert fires(several, method="DELETE") == "r"
    assert fires(several, method="put") == "r"
    assert fires(several, method="GET") is None


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("/svc/items", "/svc/items", True),
        ("/svc/*", "/svc/items", True),
        ("/svc/*/status", "/svc/jobs/7/status", True),
        ("/svc/?", "/svc/items", False),
        ("/svc/items", "/svc/items/1", False),
        ("/SVC/*", "/svc/items", False),
    ],
)
def test_rules_match_the_path_by_glob(pattern: str, path: str, expected: bool) -> None:
    assert (fires(rules({"id": "r", "path": pattern}), path=path) == "r") is expected


def test_rules_match_header_values_by_glob_and_names_in_any_case() -> None:
    fr = rules({"id": "r", "headers": {"X-Client": "sync-*"}})
    assert fires(fr, headers={"x-client": "sync-2.1"}) == "r"
    assert fires(fr, headers={"x-client": "other"}) is None
    assert fires(fr, headers={}) is None


def test_windows_open_at_their_start_and_close_at_their_end() -> None:
    fr = rules({"id": "r", "window": {"start": 10, "end": 20}})
    assert fires(fr, now=START + timedelta(seconds=9.999)) is None
    assert fires(fr, now=START + timedelta(seconds=10)) == "r"
    assert fires(fr, now=START + timedelta(seconds=19.999)) == "r"
    assert fires(fr, now=START + timedelta(seconds=20)) is None


def test_windows_may_be_absolute_and_open_ended() -> None:
    after = rules({"id": "r", "window": {"start": "2030-01-02T00:00:00Z"}})
    assert fires(after, now=START) is None
    assert fires(after, now=START + timedelta(days=5)) == "r"
    before = rules({"id": "r", "window": {"end": 60}})
    assert fires(before, now=START) == "r"
    assert fires(before, now=START + timedelta(minutes=1)) is None


def test_a_call_outside_the_window_is_not_counted() -> None:
    fr = rules({"id": "r", "nth": 1, "window": {"start": 10}})
    assert fires(fr, now=START) is None
    assert fires(fr, now=START + timedelta(seconds=10)) == "r"


# -- triggers ------------------------------------------------------------------------------------


def test_nth_fires_on_that_call_only() -> None:
    fr = rules({"id": "r", "nth": 3})
    assert [fires(fr) for _ in range(5)] == [None, None, "r", None, None]


def test_first_fires_on_the_first_calls() -> None:
    fr = rules({"id": "r", "first": 2})
    assert [fires(fr) for _ in range(4)] == ["r", "r", None, None]


def test_probability_is_seeded_and_reproducible() -> None:
    def run(seed: int) -> list[str | None]:
        fr = rules({"id": "r", "probability": 0.5}, seed=seed)
        return [fires(fr) for _ in range(200)]

    first = run(1)
    assert first == run(1)
    assert first != run(2)
    assert 70 < first.count("r") < 130


def test_probability_zero_never_fires_and_one_always_does() -> None:
    never = rules({"id": "r", "probability": 0})
    always = rules({"id": "r", "probability": 1})
    assert {fires(never) for _ in range(50)} == {None}
    assert {fires(always) for _ in range(50)} == {"r"}


def test_the_first_rule_that_fires_wins_and_every_match_is_counted() -> None:
    fr = rules({"id": "second-call", "nth": 2}, {"id": "always"})
    assert [fires(fr) for _ in range(3)] == ["always", "second-call", "always"]
    counts = {r.id: (r.matched, r.fired) for r in fr.rules}
    assert counts == {"second-call": (3, 1), "always": (3, 2)}


# -- the rule list -------------------------------------------------------------------------------


def test_rules_get_ids_and_a_rule_with_a_known_id_replaces_it() -> None:
    fr = FaultRules(0, START)
    a = fr.add(rule())
    b = fr.add(rule(id="named", path="/a"))
    assert (a.id, b.id) == ("fault-1", "named")
    fr.add(rule(id="named", path="/b"))
    assert [(r.id, r.rule.path) for r in fr.rules] == [("fault-1", None), ("named", "/b")]


def test_automatic_ids_skip_the_ids_in_use() -> None:
    fr = FaultRules(0, START)
    mine = fr.add(rule(id="fault-2", path="/mine"))
    first, second = fr.add(rule()), fr.add(rule())
    assert (first.id, second.id) == ("fault-1", "fault-3")
    assert [r.id for r in fr.rules] == ["fault-2", "fault-1", "fault-3"]
    assert fr.rules[0] is mine
    assert "fault-2" in fr and "fault-4" not in fr


def test_rules_can_be_removed_and_cleared() -> None:
    fr = rules({"id": "a"}, {"id": "b"})
    assert fr.remove("a")
    assert not fr.remove("a")
    assert [r.id for r in fr.rules] == ["b"]
    fr.clear()
    assert fr.rules == []


def test_an_active_rule_describes_itself_with_its_counters() -> None:
    fr = rules({"id": "r", "path": "/svc/*", "first": 1})
    fires(fr)
    fires(fr)
    assert fr.rules[0].as_dict() == {
        "id": "r",
        "matched": 2,
        "fired": 1,
        "path": "/svc/*",
        "headers": {},
        "first": 1,
        "action": {"status": 503, "headers": {}, "delay": 0.0, "drop": False},
    }


# -- delays --------------------------------------------------------------------------------------


def test_a_fixed_delay_is_the_delay() -> None:
    fr = FaultRules(0, START)
    active = fr.add(FaultRule(action=FaultAction(delay=2.5)))
    assert fr.delay(active) == 2.5


@settings(derandomize=True, database=None)
@given(seed=st.integers(0, 2**32), low=st.floats(0, 300), spread=st.floats(0, 300), calls=st.integers(1, 20))
def test_a_random_delay_lies_between_delay_and_delay_max(
    seed: int, low: float, spread: float, calls: int
) -> None:
    fr = FaultRules(seed, START)
    active = fr.add(FaultRule(action=FaultAction(delay=low, delay_max=low + spread)))
    for _ in range(calls):
        assert fr.match(None, "GET", "/", {}, START) is active
        wait = fr.delay(active)
        assert low <= wait <= low + spread


def test_a_random_delay_is_seeded_and_varies_by_call() -> None:
    def waits(seed: int) -> list[float]:
        fr = FaultRules(seed, START)
        active = fr.add(FaultRule(action=FaultAction(delay_max=10)))
        out = []
        for _ in range(5):
            fr.match(None, "GET", "/", {}, START)
            out.append(fr.delay(active))
        return out

    assert waits(3) == waits(3)
    assert waits(3) != waits(4)
    assert len(set(waits(3))) == 5


# -- the middleware ------------------------------------------------------------------------------


class FakeHost:
    """Just what `apply_faults` asks of a host."""

    def __init__(self, *specs: dict[str, Any]) -> None:
        self.world = SimpleNamespace(faults=rules(*specs), clock=ManualClock(START))

    def service_for(self, path: str) -> str | None:
        return "svc" if path.startswith("/svc/") else None

    def render_fault(self, service: str | None, action: FaultAction, request: Request) -> Response:
        headers = {} if action.retry_after is None else {"Retry-After": str(action.retry_after)}
        return PlainTextResponse(f"{service}: {action.message}", action.status or 500, headers)


async def items(request: Request) -> Response:
    return PlainTextResponse(f"items fault={request.scope.get('emulator.fault')}")


ROUTES = [Route("/svc/items", items, methods=["GET", "POST"]), Route("/other", items)]


def call(host: FakeHost, method: str, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    app = apply_faults(Starlette(routes=ROUTES), host)  # type: ignore[arg-type]  # a stand-in for Host

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
            return await client.request(method, path, headers=headers)

    return asyncio.run(send())


def test_without_rules_requests_pass_through() -> None:
    response = call(FakeHost(), "GET", "/svc/items")
    assert (response.status_code, response.text) == (200, "items fault=None")


def test_a_request_no_rule_matches_passes_through() -> None:
    host = FakeHost({"id": "r", "path": "/nowhere"})
    response = call(host, "GET", "/svc/items")
    assert (response.status_code, response.text) == (200, "items fault=None")
    assert host.world.faults.rules[0].matched == 0


def test_a_matching_rule_answers_in_the_services_format() -> None:
    host = FakeHost(
        {"id": "busy", "path": "/svc/*", "action": {"status": 503, "message": "busy", "retry_after": 7}}
    )
    response = call(host, "GET", "/svc/items")
    assert (response.status_code, response.text) == (503, "svc: busy")
    assert response.headers["retry-after"] == "7"
    assert call(host, "GET", "/other").status_code == 200
    assert (host.world.faults.rules[0].matched, host.world.faults.rules[0].fired) == (1, 1)


@pytest.mark.parametrize(("method", "status"), [("GET", 204), ("POST", 304), ("HEAD", 503)])
def test_an_answer_that_may_have_no_body_sends_the_headers_only(method: str, status: int) -> None:
    host = FakeHost({"id": "r", "action": {"status": status, "message": "busy", "retry_after": 3}})
    response = call(host, method, "/svc/items")
    assert (response.status_code, response.content) == (status, b"")
    assert response.headers["retry-after"] == "3"


def test_the_middleware_passes_method_headers_and_the_clock_to_the_rules() -> None:
    host = FakeHost(
        {"id": "r", "method": "POST", "headers": {"x-client": "a*"}, "window": {"start": 10}},
    )
    assert call(host, "POST", "/svc/items", {"X-Client": "abc"}).status_code == 200
    host.world.clock.advance(10)
    assert call(host, "GET", "/svc/items", {"X-Client": "abc"}).status_code == 200
    assert call(host, "POST", "/svc/items", {"X-Client": "xyz"}).status_code == 200
    response = call(host, "POST", "/svc/items", {"X-Client": "abc"})
    assert (response.status_code, response.text) == (503, "svc: None")


def test_a_delay_only_rule_waits_then_lets_the_request_through(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(faults_module, "asyncio", SimpleNamespace(sleep=sleep))
    host = FakeHost({"id": "slow", "action": {"delay": 1.5}})
    response = call(host, "GET", "/svc/items")
    assert (response.status_code, response.text) == (200, "items fault=slow")
    assert slept == [1.5]


def test_a_drop_without_a_connection_raises_in_process() -> None:
    host = FakeHost({"id": "gone", "action": {"drop": True}})
    with pytest.raises(ConnectionDropped):
        call(host, "GET", "/svc/items")


def test_a_drop_aborts_the_transport_and_sends_nothing() -> None:
    transport = SimpleNamespace(aborted=False)
    transport.abort = lambda: setattr(transport, "aborted", True)
    sent: list[Any] = []
    called: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        called.append(scope)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/svc/items",
        "headers": [],
        "extensions": {TRANSPORT_KEY: transport},
    }
    host = FakeHost({"id": "gone", "action": {"drop": True}})
    asyncio.run(apply_faults(app, host)(scope, receive, send))  # type: ignore[arg-type]  # a stand-in for Host
    assert transport.aborted
    assert sent == [] and called == []
    assert scope["emulator.fault"] == "gone"


def test_non_http_scopes_are_not_matched() -> None:
    called: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        called.append(scope["type"])

    async def nothing() -> Any:
        return None

    host = FakeHost({"id": "all"})
    asyncio.run(apply_faults(app, host)({"type": "lifespan"}, nothing, nothing))  # type: ignore[arg-type]  # a stand-in for Host
    assert called == ["lifespan"]
    assert host.world.faults.rules[0].matched == 0


def test_only_rules_that_can_match_a_request_are_looked_at() -> None:
    fr = rules(
        {"id": "g", "service": "globus", "action": {"status": 503}},
        {"id": "p", "method": ["post", "PUT"], "action": {"status": 503}},
        {"id": "o", "direction": "outbound", "action": {"drop": True}},
        {"id": "any", "path": "/nothing", "action": {"status": 503}},
    )
    assert [r.id for r in fr.candidates("inbound", "relativity", "get")] == ["any"]
    assert [r.id for r in fr.candidates("inbound", "globus", "POST")] == ["g", "p", "any"]
    assert [r.id for r in fr.candidates("outbound", None, "POST")] == ["o"]
    fr.remove("any")
    assert fr.candidates("inbound", "relativity", "GET") == []  # the cache follows the rules
