"""Helpers for Oneprovider transfer tests: a small world of three providers and one space, and the
transfer API's calls on an in-process emulator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from emulators.onedata.file_id import file_objectid
from emulators.testing import Emulator, ServiceCalls

API = "/api/v3/oneprovider"
SPACE = "6ec1a5413b6f4e2b01a5c85a8fd797e2"
KRAKOW, LISBON, PARIS = "krakowProviderId", "lisbonProviderId", "parisProviderId"
ADMIN = "admin-token"
MiB = 2**20

# data/ holds three files Lisbon has; c.bin is on Krakow too; Dir2/file3.txt only on Paris; many/
# is a generated set of 15 small files on Lisbon.
SCENARIO_TEMPLATE = f"""
version: 1
seed: 7
clock: {{start: "2030-01-01T00:00:00Z", mode: manual}}
services:
  onedata:
    provider: {KRAKOW}
    providers:
      - {{id: {KRAKOW}, name: Krakow, domain: krakow.example.org}}
      - {{id: {LISBON}, name: Lisbon, domain: lisbon.example.org}}
      - {{id: {PARIS}, name: Paris, domain: paris.example.org}}
    spaces:
      - id: {SPACE}
        name: My Space 1
        supports: {{{KRAKOW}: {{}}, {LISBON}: {{}}, {PARIS}: {{}}}}
        tree:
          entries:
            - {{path: data/a.bin, size: {MiB}}}
            - {{path: data/b.bin, size: {2 * MiB}}}
            - {{path: data/c.bin, size: {3 * MiB}}}
            - {{path: Dir2/file3.txt, size: {10 * MiB}}}
            - {{path: empty, type: dir}}
          generate:
            - count: 15
              prefix: many
              name: "f{{index:02d}}{{ext}}"
              size: {{distribution: fixed, value: 1024}}
        replicas:
          - {{path: data, providers: [{LISBON}]}}
          - {{path: data/c.bin, providers: [{KRAKOW}, {LISBON}]}}
          - {{path: Dir2, providers: [{PARIS}]}}
          - {{path: many, providers: [{LISBON}]}}
        views:
          - {{name: MyImages, providers: [{KRAKOW}], files: [data/b.bin, data/missing.bin, data/a.bin]}}
    users:
      - {{id: admin, name: Admin, tokens: [{ADMIN}], spaces: {{{SPACE}: [all]}}}}
      - {{id: viewer, name: Viewer, tokens: [viewer-token], spaces: {{{SPACE}: [space_view_transfers]}}}}
      - {{id: outsider, name: Outsider, tokens: [outsider-token]}}
    behaviour:
      rate: {{bandwidth: {MiB}, per_file: 0, enumeration_rate: 1000}}
"""


def scenario(behaviour: str = "", extra: str = "") -> str:
    """The test scenario with more `behaviour` keys (YAML flow items) and more section keys."""
    text = SCENARIO_TEMPLATE.replace("enumeration_rate: 1000}", "enumeration_rate: 1000}" + behaviour)
    return text + extra


SCENARIO = scenario()


@dataclass
class Onedata(ServiceCalls):
    """Calls of the Oneprovider transfer API with the admin's token (sent as X-Auth-Token)."""

    token: str = ADMIN

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"X-Auth-Token": token or self.token}

    def space(self) -> Any:
        return self.emulator.world.store_named("onedata").spaces[SPACE]  # type: ignore[attr-defined]

    def file_id(self, path: str) -> str:
        objectid = self.space().objectid(path)
        assert objectid is not None, path
        return str(objectid)

    def post(self, body: Any, token: str | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(f"{API}/transfers", json=body, headers=self.headers(token), **kwargs)

    def create(self, path: str = "data", **fields: Any) -> str:
        body = {"type": "replication", "replicatingProviderId": KRAKOW, "dataSourceType": "file"}
        body |= {"fileId": self.file_id(path), **fields}
        response = self.post({k: v for k, v in body.items() if v is not None})
        assert response.status_code == 201, response.text
        return str(response.json()["transferId"])

    def get(self, transfer_id: str, token: str | None = None) -> httpx.Response:
        return self.client.get(f"{API}/transfers/{transfer_id}", headers=self.headers(token))

    def status(self, transfer_id: str) -> dict[str, Any]:
        response = self.get(transfer_id)
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        return document

    def cancel(self, transfer_id: str, token: str | None = None) -> httpx.Response:
        return self.client.delete(f"{API}/transfers/{transfer_id}", headers=self.headers(token))

    def rerun(self, transfer_id: str) -> httpx.Response:
        return self.client.post(f"{API}/transfers/{transfer_id}/rerun", headers=self.headers())

    def list(self, **query: Any) -> httpx.Response:
        return self.client.get(f"{API}/spaces/{SPACE}/transfers", params=query, headers=self.headers())

    def advance(self, seconds: float) -> None:
        self.emulator.advance(seconds)

    def run_until_ended(self, transfer_id: str, step: float = 1, limit: int = 1000) -> dict[str, Any]:
        for _ in range(limit):
            document = self.status(transfer_id)
            if document["transferStatus"] in ("completed", "failed", "cancelled", "skipped"):
                return document
            self.advance(step)
        raise AssertionError("the transfer never ended")


@pytest.fixture
def onedata(emulator_factory: Callable[..., Emulator]) -> Onedata:
    return Onedata(emulator_factory(scenario_text=SCENARIO))


@pytest.fixture
def onedata_with(emulator_factory: Callable[..., Emulator]) -> Callable[..., Onedata]:
    """A world of the test scenario with more behaviour (`behaviour="\n      legacy_fields: false"`)
    or more section keys (`extra`)."""

    def make(extra: str = "", behaviour: str = "") -> Onedata:
        return Onedata(emulator_factory(scenario_text=scenario(behaviour, extra)))

    return make


def outsider_file_id() -> str:
    return file_objectid("0123456789abcdef0123456789abcdefch0000", "someOtherSpace")
