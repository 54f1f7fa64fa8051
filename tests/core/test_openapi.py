"""`GET /_emulator/openapi/<service>.json`: each service's contract spec, served with this emulator's
URL as its servers, so a client generator, Prism or Schemathesis can be pointed at it."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
import yaml

from emulators.testing import Emulator

SPECS = Path(__file__).resolve().parents[2] / "contract_tests" / "specs"
SERVICES = ("relativity", "globus", "onedata", "amove")


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_serves_its_contract_spec(emulator: Emulator, service: str) -> None:
    response = emulator.client.get(f"/_emulator/openapi/{service}.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    served = response.json()
    spec = yaml.safe_load((SPECS / f"{service}.yaml").read_text(encoding="utf-8"))
    assert served["openapi"].startswith("3.1")
    assert served["paths"].keys() == spec["paths"].keys()
    assert served["info"] == spec["info"]
    base = emulator.app.host.public_url
    assert [s["url"] for s in served["servers"]] == [base + s["url"] for s in spec["servers"]]
    schemathesis.openapi.from_dict(served)  # a document a contract tool loads


def test_operation_level_servers_name_the_emulator_too(emulator: Emulator) -> None:
    served = emulator.client.get("/_emulator/openapi/onedata.json").json()
    nested = [
        server["url"]
        for item in served["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for server in operation.get("servers", [])
    ] + [server["url"] for item in served["paths"].values() for server in item.get("servers", [])]
    assert nested
    assert all(url.startswith(emulator.app.host.public_url + "/") for url in nested)


def test_an_unknown_service_is_a_404_naming_the_documents(emulator: Emulator) -> None:
    response = emulator.client.get("/_emulator/openapi/s3.json")
    assert response.status_code == 404
    message = response.json()["error"]["message"]
    assert all(service in message for service in SERVICES)
