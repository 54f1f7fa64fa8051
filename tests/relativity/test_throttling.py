"""HTTP fault rules answer in the Relativity error format, with Retry-After (scenario faults)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from conftest import Relativity


@pytest.mark.emulator(scenario="relativity-throttling")
def test_the_first_two_status_reads_are_503_with_retry_after(relativity: Relativity):
    job_id = str(uuid.uuid4())
    answers = [relativity.get(job_id) for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 404]
    assert answers[0].headers["Retry-After"] == "10"
    assert answers[0].json() == {
        "statusCode": 503,
        "title": "Service Unavailable",
        "message": "The service is temporarily unavailable.",
    }
    faults = [e["fault"] for e in relativity.emulator.control.requests(service="relativity")]
    assert faults == ["status-503", "status-503", None]


@pytest.mark.emulator(scenario="relativity-throttling")
def test_seeded_probability_faults_repeat_after_a_reset(relativity: Relativity):
    def run() -> list[int]:
        return [
            relativity.post(
                {
                    "transferJobID": str(uuid.UUID(int=i + 1)),
                    "sourcePath": relativity.sas_url("small"),
                    "destinationPath": r"\\files.t001.ctus000001.r1.kcura.com\T001\ARM\x",
                }
            ).status_code
            for i in range(40)
        ]

    first = run()
    relativity.emulator.control.reset()
    assert run() == first
    assert 429 in first and 200 in first


def test_in_process_a_dropped_connection_raises_what_a_socket_client_would_see(relativity: Relativity):
    relativity.emulator.control.add_fault({"service": "relativity", "action": {"drop": True}})
    with pytest.raises(httpx.RemoteProtocolError):
        relativity.get(str(uuid.uuid4()))


def test_a_fault_answer_echoes_the_correlation_id(relativity: Relativity):
    relativity.emulator.control.add_fault({"service": "relativity", "first": 1, "action": {"status": 429}})
    cid = str(uuid.uuid4())
    response = relativity.client.get(
        f"/transfer-service/api/v2/transfer/jobs/{uuid.uuid4()}",
        headers={**relativity.headers(), "correlation-id": cid},
    )
    assert response.status_code == 429
    assert response.headers["correlation-id"] == cid
    assert response.json()["title"] == "Too Many Requests"
