"""HTTP fault rules answer Globus requests in the Globus error document."""

from __future__ import annotations

from emulators.testing import Emulator


def test_a_fault_rule_answer_names_the_resource_and_a_request_id(emulator: Emulator):
    emulator.control.add_fault(
        {"service": "globus", "path": "/v0.10/task/*", "action": {"status": 503, "message": "Busy."}}
    )
    response = emulator.client.get("/v0.10/task/abc", headers={"Authorization": "Bearer globus-dev-token"})
    assert response.status_code == 503
    body = response.json()
    assert (body["code"], body["message"], body["resource"]) == ("ServiceUnavailable", "Busy.", "/task/abc")
    assert body["request_id"]


def test_a_405_lists_every_method_of_the_resource(emulator: Emulator):
    response = emulator.client.post("/v0.10/task/abc", headers={"Authorization": "Bearer globus-dev-token"})
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, PUT"
    assert response.json()["code"] == "ClientError.BadMethod"
