"""The Relativity emulator over a real socket, as an external client sees it."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from azure.storage.blob import generate_container_sas

from emulators.relativity.scenario import DEV_ACCOUNT, DEV_ACCOUNT_KEY
from emulators.testing import LiveEmulator

pytestmark = pytest.mark.live
DESTINATION = r"\\files.t001.ctus000001.r1.kcura.com\T001\ARM\Live"


def test_token_create_and_status_over_a_socket(emulator_server: LiveEmulator):
    with httpx.Client(base_url=emulator_server.url) as http:
        token = http.post(
            "/Relativity/Identity/connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "transfer-client",
                "client_secret": "transfer-secret",
                "scope": "SystemUserInfo",
            },
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        sas = generate_container_sas(
            DEV_ACCOUNT,
            "small",
            account_key=DEV_ACCOUNT_KEY,
            permission="rl",
            expiry=emulator_server.control.now() + timedelta(days=8),
        )
        job_id = str(uuid.uuid4())
        created = http.post(
            "/transfer-service/api/v2/transfer/jobs",
            headers=headers,
            json={
                "transferJobID": job_id,
                "sourcePath": f"https://{DEV_ACCOUNT}.blob.core.windows.net/small?{sas}",
                "destinationPath": DESTINATION,
            },
        )
        assert created.status_code == 200
        emulator_server.control.advance(600)
        document = http.get(f"/transfer-service/api/v2/transfer/jobs/{job_id}", headers=headers).json()
        assert document["transferStatus"] == "Completed"
        qc = http.get(f"/transfer-service/api/v2/transfer/jobs/{job_id}/qc", headers=headers).json()
        assert qc["sasUrl"].startswith(emulator_server.url)
        report = http.get(qc["sasUrl"])
        assert report.status_code == 200
        assert report.text.splitlines()[0] == "file,size,status,error_code"
        assert len(report.text.splitlines()) == 5


def test_a_fault_rule_can_drop_the_connection(emulator_server: LiveEmulator):
    emulator_server.control.add_fault(
        {"id": "drop", "service": "relativity", "method": "GET", "first": 1, "action": {"drop": True}}
    )
    url = f"{emulator_server.url}/transfer-service/api/v2/transfer/jobs/{uuid.uuid4()}"
    headers = {"Authorization": "Bearer relativity-dev-token"}
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(url, headers=headers)
    assert httpx.get(url, headers=headers).status_code == 404
    assert emulator_server.control.requests(path="/transfer-service")[0]["fault"] == "drop"
