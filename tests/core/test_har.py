"""The journal as an HTTP Archive: `GET /_emulator/requests?format=har` (HAR 1.2), read back with
haralyzer, a HAR parser, and checked field by field against what the journal kept."""

from __future__ import annotations

import pytest
from haralyzer import HarParser

from emulators.testing import ControlClientError, Emulator, answer, fault_rule

JOB = "/transfer-service/api/v2/transfer/jobs/6f1c3c52-8a4f-4a0e-9d51-3a2b1c0d9e01"
AUTH = {"Authorization": "Bearer relativity-dev-token"}


def test_the_journal_opens_in_a_har_parser(emulator: Emulator) -> None:
    emulator.client.get(JOB, headers=AUTH, params={"trace": "1"})
    emulator.client.post(
        "/Relativity/Identity/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "transfer-client",
            "client_secret": "transfer-secret",
        },
    )
    har = emulator.control.har()
    parsed = HarParser(har)
    assert parsed.creator["name"] == "transfer-emulators"
    page_entries = parsed.har_data["entries"]
    first, second = page_entries
    assert first["request"]["method"] == "GET"
    assert first["request"]["url"].endswith(JOB + "?trace=1")
    assert first["request"]["queryString"] == [{"name": "trace", "value": "1"}]
    assert first["response"]["status"] == 404
    assert first["response"]["statusText"] == "Not Found"
    headers = {h["name"]: h["value"] for h in first["request"]["headers"]}
    assert headers["authorization"] == "Bearer ***"
    assert second["request"]["postData"]["mimeType"] == "application/x-www-form-urlencoded"
    assert "transfer-secret" not in second["request"]["postData"]["text"]
    assert "client_secret=***" in second["request"]["postData"]["text"]
    assert second["response"]["status"] == 200
    assert all(entry["time"] >= 0 and entry["startedDateTime"] for entry in page_entries)


def test_the_fault_rule_that_fired_is_the_entrys_comment(emulator: Emulator) -> None:
    rule = emulator.control.add_fault(fault_rule(answer(503), service="relativity", first=1))
    emulator.client.get(JOB, headers=AUTH)
    [entry] = emulator.control.har(service="relativity")["log"]["entries"]
    assert entry["response"]["status"] == 503
    assert entry["comment"] == f"fault rule {rule['id']}"


def test_filters_and_limit_apply_to_the_archive(emulator: Emulator) -> None:
    for _ in range(3):
        emulator.client.get(JOB, headers=AUTH)
    emulator.client.get("/v0.10/endpoint_search", headers={"Authorization": "Bearer globus-dev-token"})
    assert len(emulator.control.har(service="relativity", limit=2)["log"]["entries"]) == 2
    assert len(emulator.control.har(service="globus")["log"]["entries"]) == 1


def test_an_unknown_format_is_a_400(emulator: Emulator) -> None:
    with pytest.raises(ControlClientError) as raised:
        emulator.control.requests(format="xml")
    assert raised.value.status == 400
