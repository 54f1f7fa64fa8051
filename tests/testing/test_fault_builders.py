"""The typed fault-rule builders: the documents they build, and the server taking them."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

import httpx
import pytest

from emulators.core.faults import FaultAction, FaultRule, TimeWindow
from emulators.testing import Emulator, answer, drop_connection, fault_rule, time_window

JOBS = "/transfer-service/api/v2/transfer/jobs"


def test_a_rule_is_the_documented_document_without_the_unset_fields():
    rule = fault_rule(
        answer(503, retry_after=10), service="relativity", method="GET", path=f"{JOBS}/*", first=2
    )

    assert rule == {
        "service": "relativity",
        "method": "GET",
        "path": f"{JOBS}/*",
        "first": 2,
        "action": {"status": 503, "retry_after": 10},
    }


def test_methods_headers_windows_and_drops_become_json():
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    rule = fault_rule(
        drop_connection(delay=0.5),
        method=("POST", "PUT"),
        headers={"User-Agent": "azsdk-*"},
        window=time_window(start, 60.0),
    )

    assert rule == {
        "method": ["POST", "PUT"],
        "headers": {"User-Agent": "azsdk-*"},
        "window": {"start": "2026-01-05T09:00:00+00:00", "end": 60.0},
        "action": {"drop": True, "delay": 0.5},
    }


@pytest.mark.parametrize(
    ("builder", "model", "left_out"),
    [(fault_rule, FaultRule, set()), (answer, FaultAction, {"drop"}), (time_window, TimeWindow, set())],
    ids=["fault_rule", "answer", "time_window"],
)
def test_each_builder_takes_every_field_the_server_knows(builder, model, left_out: set[str]):
    assert set(inspect.signature(builder).parameters) == set(model.model_fields) - left_out


def test_a_built_answer_fires_in_the_services_format(emulator: Emulator):
    added = emulator.control.add_fault(
        fault_rule(answer(503, retry_after=10, headers={"X-Why": "maintenance"}), service="relativity", nth=1)
    )
    headers = {"Authorization": "Bearer relativity-dev-token"}

    first = emulator.client.get(JOBS, headers=headers)
    second = emulator.client.get(JOBS, headers=headers)

    assert (first.status_code, first.headers["Retry-After"], first.headers["X-Why"]) == (
        503,
        "10",
        "maintenance",
    )
    assert second.status_code != 503
    assert [e["fault"] for e in emulator.control.requests(service="relativity")] == [added["id"], None]


def test_a_built_drop_closes_the_connection(emulator: Emulator):
    emulator.control.add_fault(fault_rule(drop_connection(), path="/v0.10/*"))

    with pytest.raises(httpx.RemoteProtocolError):
        emulator.client.get("/v0.10/endpoint_search", headers={"Authorization": "Bearer globus-dev-token"})
