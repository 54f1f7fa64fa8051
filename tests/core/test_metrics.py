"""`GET /_emulator/metrics`: the Prometheus text format, read back with prometheus-client's parser."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from emulators.core.metrics import Metrics
from emulators.testing import Emulator, answer, fault_rule

JOBS = "/transfer-service/api/v2/transfer/jobs"
AUTH = {"Authorization": "Bearer relativity-dev-token"}
SAS = (
    "https://devstoreaccount1.blob.core.windows.net/small?se=2099-12-31T00%3A00%3A00Z&sp=rl"
    "&sv=2025-11-05&sr=c&sig=zRToB1/7Z4Lcx%2B6Rc%2BIXXD4q7RN2DECpWsVb6sT%2Br9A%3D"
)
JOB_ID = "6f1c3c52-8a4f-4a0e-9d51-3a2b1c0d9e01"


def samples(emulator: Emulator) -> dict[str, list[Any]]:
    response = emulator.client.get("/_emulator/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {family.name: family.samples for family in text_string_to_metric_families(response.text)}


def value(found: dict[str, list[Any]], sample: str, **labels: str) -> float:
    matching = [
        s.value
        for family in found.values()
        for s in family
        if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items())
    ]
    return sum(matching)


def create_job(emulator: Emulator) -> None:
    destination = r"\\files.t001.ctus000001.r1.kcura.com\T001\ARM\Metrics"
    body = {"transferJobID": JOB_ID, "sourcePath": SAS, "destinationPath": destination}
    assert emulator.client.post(JOBS, headers=AUTH, json=body).status_code == 200


def test_requests_are_counted_by_service_route_method_and_status(emulator: Emulator) -> None:
    create_job(emulator)
    for _ in range(3):
        emulator.client.get(f"{JOBS}/{JOB_ID}", headers=AUTH)
    emulator.client.get(f"{JOBS}/{JOB_ID}")  # no token: 401
    found = samples(emulator)
    assert value(found, "emulator_requests_total", service="relativity", method="GET", status="200") == 3
    assert value(found, "emulator_requests_total", service="relativity", method="GET", status="401") == 1
    assert value(found, "emulator_requests_total", service="relativity", method="POST", status="200") == 1
    routes = {s.labels["route"] for s in found["emulator_requests"] if s.labels["method"] == "GET"}
    assert routes and "unmatched" not in routes


def test_jobs_are_counted_by_state_as_time_moves(emulator: Emulator) -> None:
    create_job(emulator)
    assert value(samples(emulator), "emulator_jobs", service="relativity", state="Queued") == 1
    emulator.advance(3600)
    found = samples(emulator)
    assert value(found, "emulator_jobs", service="relativity", state="Queued") == 0
    assert value(found, "emulator_jobs", service="relativity", state="Completed") == 1


def test_fired_fault_rules_and_the_journal_size_are_reported(emulator: Emulator) -> None:
    rule = emulator.control.add_fault(fault_rule(answer(503), service="relativity", first=2))
    for _ in range(3):
        emulator.client.get(f"{JOBS}/{JOB_ID}", headers=AUTH)
    found = samples(emulator)
    assert value(found, "emulator_faults_fired_total", service="relativity", rule=rule["id"]) == 2
    assert value(found, "emulator_journal_entries") == 3


def test_counters_survive_a_reset_and_gauges_follow_the_world(emulator: Emulator) -> None:
    create_job(emulator)
    emulator.control.reset()
    found = samples(emulator)
    assert value(found, "emulator_requests_total", service="relativity", method="POST") == 1
    assert value(found, "emulator_jobs", service="relativity") == 0
    assert value(found, "emulator_journal_entries") == 0


def test_deliveries_are_classed_by_outcome() -> None:
    metrics = Metrics()
    metrics.delivery("onedata", 204, None)
    metrics.delivery("onedata", 500, None)
    metrics.delivery("onedata", None, "ConnectError")
    metrics.delivery(None, 200, None)
    assert metrics.deliveries == {
        ("onedata", "delivered"): 1,
        ("onedata", "refused"): 1,
        ("onedata", "failed"): 1,
        ("none", "delivered"): 1,
    }
