"""Fixtures for Relativity Transfer Service tests: SAS URLs signed like a user would, and job calls."""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from azure.storage.blob import ContainerSasPermissions, generate_container_sas

from emulators.relativity.scenario import DEV_ACCOUNT, DEV_ACCOUNT_KEY
from emulators.testing import Emulator, ServiceCalls

API = "/transfer-service/api/v2/transfer/jobs"
DESTINATION = r"\\files.t001.ctus000001.r1.kcura.com\T001\StructuredData\Matter-1"
TOKEN = "relativity-dev-token"


@dataclass
class Relativity(ServiceCalls):
    """Calls of the Transfer Service API on one emulator, with the default token."""

    token: str = TOKEN

    def sas_url(
        self,
        container: str,
        *,
        days: float = 8,
        permission: str = "rl",
        start: datetime | None = None,
        key: str = DEV_ACCOUNT_KEY,
        host: str = f"https://{DEV_ACCOUNT}.blob.core.windows.net",
        path: str = "",
    ) -> str:
        """A container SAS URL made by the real azure-storage-blob library."""
        sas = generate_container_sas(
            DEV_ACCOUNT,
            container,
            account_key=key,
            permission=ContainerSasPermissions.from_string(permission),
            expiry=self.now() + timedelta(days=days),
            start=start,
        )
        return f"{host}/{container}{'/' + path if path else ''}?{sas}"

    def post(self, body: dict[str, Any], token: str | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(API, json=body, headers=self.headers(token), **kwargs)

    def create(self, container: str = "small", *, source: str | None = None, **fields: Any) -> str:
        """Create a job and return its id (asserting the documented 200)."""
        job_id = fields.pop("transferJobID", str(uuid.uuid4()))
        body = {
            "transferJobID": job_id,
            "sourcePath": source or self.sas_url(container),
            "destinationPath": DESTINATION,
            "tags": {"matter": "1"},
            **fields,
        }
        response = self.post(body)
        assert response.status_code == 200, response.text
        return job_id

    def get(self, job_id: str, token: str | None = None) -> httpx.Response:
        return self.client.get(f"{API}/{job_id}", headers=self.headers(token))

    def status(self, job_id: str) -> dict[str, Any]:
        response = self.get(job_id)
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        return document

    def cancel(self, job_id: str) -> httpx.Response:
        return self.client.delete(f"{API}/{job_id}", headers=self.headers())

    def qc(self, job_id: str) -> httpx.Response:
        return self.client.get(f"{API}/{job_id}/qc", headers=self.headers())

    def advance(self, seconds: float) -> None:
        self.emulator.control.advance(seconds)

    def run_until_final(self, job_id: str, step: float = 10, limit: int = 10_000) -> dict[str, Any]:
        for _ in range(limit):
            document = self.status(job_id)
            if document["transferStatus"] in ("Completed", "Failed", "Cancelled"):
                return document
            self.advance(step)
        raise AssertionError("the job never finished")

    def report(self, job_id: str) -> list[list[str]]:
        """The QC report's rows, header first, fetched through its SAS URL."""
        response = self.qc(job_id)
        assert response.status_code == 200, response.text
        url = httpx.URL(response.json()["sasUrl"])
        download = self.client.get(url.raw_path.decode())
        assert download.status_code == 200, download.text
        return list(csv.reader(download.text.splitlines()))


@pytest.fixture
def relativity(emulator: Emulator) -> Relativity:
    return Relativity(emulator)
