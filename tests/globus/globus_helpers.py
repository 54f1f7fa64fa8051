"""Calls of the Globus Transfer API on one in-process emulator, with the default scenario's token."""

from __future__ import annotations

import textwrap
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from emulators.testing import Emulator, ServiceCalls

TOKEN = "globus-dev-token"
COLLEAGUE_TOKEN = "globus-colleague-token"
LAB = "aaaaaaaa-0000-4000-8000-000000000001"
SCRATCH = "bbbbbbbb-0000-4000-8000-000000000002"
SHARED = "cccccccc-0000-4000-8000-000000000003"
API = "/v0.10"


def with_trees(lab: str, scratch: str | None = None) -> str:
    """A scenario (extending default) whose Lab collection, and Scratch when given, hold exactly
    these entries: YAML flow mappings, one per line, as under `tree: entries:`."""

    def endpoint(endpoint_id: str, name: str, entries: str) -> str:
        text = f"      - id: {endpoint_id}\n        display_name: {name}\n"
        text += "        owner: researcher@example.org\n"
        if entries.strip():
            lines = textwrap.indent(textwrap.dedent(entries).strip() + "\n", " " * 12)
            text += "        tree:\n          entries:\n" + lines
        return text

    endpoints = endpoint(LAB, "Lab", lab) + (
        endpoint(SCRATCH, "Scratch", scratch) if scratch is not None else ""
    )
    return "extends: default\nservices:\n  globus:\n    endpoints:\n" + endpoints


def item(source: str, destination: str, recursive: bool | None = None) -> dict[str, Any]:
    recursive = source.endswith("/") if recursive is None else recursive
    return {
        "DATA_TYPE": "transfer_item",
        "source_path": source,
        "destination_path": destination,
        "recursive": recursive,
    }


@dataclass
class Globus(ServiceCalls):
    """Calls of the Globus Transfer API on one emulator, with the default token."""

    token: str = TOKEN

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.get(API + path, headers=self.headers(token), **kwargs)

    def post(self, path: str, body: Any = None, token: str | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(API + path, json=body, headers=self.headers(token), **kwargs)

    def put(self, path: str, body: Any, token: str | None = None) -> httpx.Response:
        return self.client.put(API + path, json=body, headers=self.headers(token))

    def ok(self, response: httpx.Response, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json()

    def transfer_document(
        self, *items: dict[str, Any], source: str = LAB, destination: str = SCRATCH, **options: Any
    ) -> dict[str, Any]:
        return {
            "DATA_TYPE": "transfer",
            "submission_id": str(uuid.uuid4()),
            "source_endpoint": source,
            "destination_endpoint": destination,
            "DATA": list(items) or [item("/~/experiments/run-001/", "/~/copy/")],
            **options,
        }

    def transfer(self, *items: dict[str, Any], **options: Any) -> str:
        """Submit a transfer and return its task id (asserting 202 Accepted)."""
        body = self.ok(self.post("/transfer", self.transfer_document(*items, **options)), 202)
        assert body["code"] == "Accepted"
        return str(body["task_id"])

    def delete(self, *paths: str, endpoint: str = LAB, **options: Any) -> str:
        document = {
            "DATA_TYPE": "delete",
            "submission_id": str(uuid.uuid4()),
            "endpoint": endpoint,
            "DATA": [{"DATA_TYPE": "delete_item", "path": p} for p in paths],
            **options,
        }
        body = self.ok(self.post("/delete", document), 202)
        return str(body["task_id"])

    def task(self, task_id: str) -> dict[str, Any]:
        return dict(self.ok(self.get(f"/task/{task_id}")))

    def events(self, task_id: str, **params: Any) -> list[dict[str, Any]]:
        return list(self.ok(self.get(f"/task/{task_id}/event_list", params=params))["DATA"])

    def ls(self, path: str, endpoint: str = SCRATCH, **params: Any) -> list[str]:
        body = self.ok(self.get(f"/operation/endpoint/{endpoint}/ls", params={"path": path, **params}))
        return [entry["name"] for entry in body["DATA"]]

    def advance(self, seconds: float) -> None:
        self.emulator.control.advance(seconds)

    def finish(self, task_id: str, step: float = 5, limit: int = 1000) -> dict[str, Any]:
        for _ in range(limit):
            document = self.task(task_id)
            if document["status"] != "ACTIVE":
                return document
            self.advance(step)
        raise AssertionError("the task never finished")

    def error(self, response: httpx.Response, status: int, code: str) -> dict[str, Any]:
        """Assert the documented error document and return it."""
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/json"
        body = dict(response.json())
        assert set(body) == {"code", "message", "request_id", "resource"}
        assert body["code"] == code, body
        return body


@pytest.fixture
def globus(emulator: Emulator) -> Globus:
    return Globus(emulator)
