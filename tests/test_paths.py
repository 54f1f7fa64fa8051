"""Paths no service serves: an index at `/`, and 404s that say where the services are."""

from __future__ import annotations

from emulators.testing import Emulator


def test_the_root_is_an_index_of_the_services_and_the_control_api(emulator: Emulator) -> None:
    index = emulator.client.get("/").json()
    assert index["control"] == "/_emulator" and index["health"] == "/_emulator/health"
    assert index["services"]["relativity"] == ["/Relativity/Identity", "/transfer-service"]
    assert index["services"]["globus"] == ["/v0.10", "/v2/oauth2"]


def test_a_wrong_path_is_a_json_404_naming_the_prefixes_and_the_nearest(emulator: Emulator) -> None:
    answer = emulator.client.get("/transfer-servce/api/v2/transfer/jobs/x")
    assert answer.status_code == 404
    body = answer.json()
    assert body["did_you_mean"] == "/transfer-service"
    assert "relativity" in body["services"]
    assert emulator.client.get("/zzz").json()["did_you_mean"] is None


def test_no_surface_redirects_a_trailing_slash(emulator: Emulator) -> None:
    assert emulator.client.get("/_emulator/health/").status_code == 404
    assert emulator.client.get("/v0.10/task_list/").status_code == 404
