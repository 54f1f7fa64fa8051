"""The Amove emulator held to `specs/amove.yaml` (the Transfer Endpoints page and the rest of the
Web API from the reference). Every response a test receives is checked against what its operation
declares for that status: an undeclared status fails, a declared body must validate against its
(closed) schema, 499 answers carry the Error Model's body and header. Each test names its source."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from contract import Contract

from emulators.core.tokens import totp_code
from emulators.testing import Emulator

sys.path.insert(0, str(Path(__file__).parent.parent / "tests" / "amove"))
from amove_helpers import (  # the Amove test helpers live with the service's tests
    ADMIN,
    S3,
    SAMPLE_PAYLOAD,
    SECURE,
    TOTP_SECRET,
    VIEWER,
    WASABI,
    login,
    request_token,
)

CONTRACT = Contract("amove")
AUTH = "/api/authentication"


@pytest.fixture(autouse=True)
def _track(request: pytest.FixtureRequest) -> Iterator[None]:
    yield from CONTRACT.tracking(request)


def conforms(response: httpx.Response, method: str, path: str) -> Any:
    body = CONTRACT.conforms(response, method, path)
    if response.status_code == 499:
        assert response.headers["error-code"] == body["type"]  # Reference, B2
    return body


def _headers(jwt: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt}"}


def test_the_login_operations_answer_as_declared(emulator: Emulator) -> None:
    """Reference, B1: request_token, login (both challenges), mfa_respond, logout, forgot/reset."""
    client = emulator.client
    conforms(client.post(f"{AUTH}/request_token"), "post", f"{AUTH}/request_token")
    username, password, user_type = ADMIN
    body = {
        "requestToken": request_token(client),
        "username": username,
        "password": password,
        "type": user_type,
    }
    document = conforms(client.post(f"{AUTH}/login", json=body), "post", f"{AUTH}/login")
    conforms(client.post(f"{AUTH}/login", json=body), "post", f"{AUTH}/login")  # 499 TOKEN: used
    conforms(
        client.post(f"{AUTH}/login", json={**body, "requestToken": request_token(client), "type": 8}),
        "post",
        f"{AUTH}/login",
    )
    username, password, user_type = SECURE
    body = {
        "requestToken": request_token(client),
        "username": username,
        "password": password,
        "type": user_type,
    }
    session = conforms(client.post(f"{AUTH}/login", json=body), "post", f"{AUTH}/login")["session"]
    code = totp_code(TOTP_SECRET, emulator.world.clock.now())
    respond = {"requestToken": request_token(client), "session": session, "userCode": code}
    conforms(client.post(f"{AUTH}/mfa_respond", json=respond), "post", f"{AUTH}/mfa_respond")
    conforms(client.post(f"{AUTH}/mfa_respond", json=respond), "post", f"{AUTH}/mfa_respond")  # 499
    logout = {"requestToken": request_token(client), "jwtToken": document["jwtToken"]}
    conforms(client.post(f"{AUTH}/logout", json=logout), "post", f"{AUTH}/logout")
    forgot = {"requestToken": request_token(client), "username": "nobody@example.com"}
    conforms(client.post(f"{AUTH}/forgot_password", json=forgot), "post", f"{AUTH}/forgot_password")
    reset = {"requestToken": request_token(client), "resetToken": "nope", "password": "x"}
    conforms(client.post(f"{AUTH}/reset_password", json=reset), "post", f"{AUTH}/reset_password")


def test_api_tokens_answer_as_declared(emulator: Emulator) -> None:
    """Reference, B1: apitoken insert, get_all, delete."""
    headers = _headers(login(emulator.client))
    expires = (emulator.world.clock.now() + timedelta(days=1)).isoformat()
    body = {"title": "ci", "isEncrypted": False, "expirationDate": expires}
    token = conforms(
        emulator.client.post("/api/v1/apitoken/insert", json=body, headers=headers),
        "post",
        "/api/v1/apitoken/insert",
    )
    conforms(
        emulator.client.get("/api/v1/apitoken/get_all", headers=headers), "get", "/api/v1/apitoken/get_all"
    )
    conforms(emulator.client.get("/api/v1/apitoken/get_all"), "get", "/api/v1/apitoken/get_all")  # 401
    for _ in range(2):  # 200, then 499
        deleted = emulator.client.delete(
            "/api/v1/apitoken/delete", params={"id": token["id"]}, headers=headers
        )
        conforms(deleted, "delete", "/api/v1/apitoken/delete")


def test_cloud_accounts_answer_as_declared(emulator: Emulator) -> None:
    """Reference, B3: get_all, insert, manage_share, delete, list_buckets, list_objects."""
    client = emulator.client
    headers = _headers(login(client))
    conforms(
        client.get("/api/v1/cloudaccount/get_all", headers=headers), "get", "/api/v1/cloudaccount/get_all"
    )
    body = {"cloudType": 2, "name": "More Wasabi", "accessKey": "k" * 20, "secretKey": "s" * 20}
    cloud = conforms(
        client.post("/api/v1/cloudaccount/insert", json=body, headers=headers),
        "post",
        "/api/v1/cloudaccount/insert",
    )
    conforms(
        client.post("/api/v1/cloudaccount/insert", json={"cloudType": 3}, headers=headers),
        "post",
        "/api/v1/cloudaccount/insert",
    )
    share = {"id": cloud["id"], "shared": True}
    conforms(
        client.put("/api/v1/cloudaccount/manage_share", json=share, headers=headers),
        "put",
        "/api/v1/cloudaccount/manage_share",
    )
    for _ in range(2):  # true, then the page's Global answer
        deleted = client.delete("/api/v1/cloudaccount/delete", params={"id": cloud["id"]}, headers=headers)
        conforms(deleted, "delete", "/api/v1/cloudaccount/delete")
    buckets = client.post("/api/v1/cloudaccount/list_buckets", json={"cloudAccountId": S3}, headers=headers)
    conforms(buckets, "post", "/api/v1/cloudaccount/list_buckets")
    listing = {"cloudAccountId": S3, "bucketName": "source-bucket", "path": "/photos/", "count": 2}
    conforms(
        client.post("/api/v1/cloudaccount/list_objects", json=listing, headers=headers),
        "post",
        "/api/v1/cloudaccount/list_objects",
    )
    conforms(
        client.post(
            "/api/v1/cloudaccount/list_objects", json={**listing, "bucketName": "x"}, headers=headers
        ),
        "post",
        "/api/v1/cloudaccount/list_objects",
    )


@pytest.mark.emulator(scenario="amove-retry")
def test_transfers_answer_as_declared_through_their_life(emulator: Emulator) -> None:
    """Doc, "Transfer Endpoints": every operation, with the records of every status they pass."""
    client = emulator.client
    headers = _headers(login(client))
    conforms(
        client.post("/api/v1/transfer/calculate_cost", json=SAMPLE_PAYLOAD, headers=headers),
        "post",
        "/api/v1/transfer/calculate_cost",
    )
    conforms(
        client.post("/api/v1/transfer/transfer", json=SAMPLE_PAYLOAD, headers=headers),
        "post",
        "/api/v1/transfer/transfer",
    )
    refused = client.post(
        "/api/v1/transfer/transfer", json=SAMPLE_PAYLOAD, headers=_headers(login(client, VIEWER))
    )
    assert conforms(refused, "post", "/api/v1/transfer/transfer")["type"] == "ACCESS"
    emulator.advance(6)
    running = conforms(
        client.get("/api/v1/transfer/get_all", headers=headers), "get", "/api/v1/transfer/get_all"
    )
    transfer_id = running["data"][0]["id"]
    emulator.advance(600)
    conforms(
        client.get("/api/v1/transfer/get_all", headers=headers, params={"sortfield": "percent"}),
        "get",
        "/api/v1/transfer/get_all",
    )
    by_id = {"id": transfer_id}
    conforms(
        client.post("/api/v1/transfer/cancel_transfer", json=by_id, headers=headers),
        "post",
        "/api/v1/transfer/cancel_transfer",
    )
    link = conforms(
        client.post("/api/v1/transfer/download_failed_files", json=by_id, headers=headers),
        "post",
        "/api/v1/transfer/download_failed_files",
    )
    assert client.get(link).status_code == 200
    conforms(
        client.post("/api/v1/transfer/retry_transfer", json=by_id, headers=headers),
        "post",
        "/api/v1/transfer/retry_transfer",
    )
    emulator.advance(5)
    [_, retry] = sorted(
        conforms(client.get("/api/v1/transfer/get_all", headers=headers), "get", "/api/v1/transfer/get_all")[
            "data"
        ],
        key=lambda r: r["retryBatchTransferID"] or "",
    )
    assert retry["retryBatchTransferID"] == transfer_id
    cancel = client.post("/api/v1/transfer/cancel_transfer", json={"id": retry["id"]}, headers=headers)
    conforms(cancel, "post", "/api/v1/transfer/cancel_transfer")
    for seconds in (0, 5):
        emulator.advance(seconds)
        conforms(client.get("/api/v1/transfer/get_all", headers=headers), "get", "/api/v1/transfer/get_all")


def test_negotiate_answers_as_declared(emulator: Emulator) -> None:
    """Reference, C1: v0 and v1 documents, 401 without a JWT."""
    headers = _headers(login(emulator.client))
    for query in ("", "?negotiateVersion=1"):
        conforms(
            emulator.client.post(f"/api/rm/negotiate{query}", headers=headers), "post", "/api/rm/negotiate"
        )
    conforms(emulator.client.post("/api/rm/negotiate"), "post", "/api/rm/negotiate")


def test_the_destination_account_of_the_samples_exists(emulator: Emulator) -> None:
    """Doc, "Sample Code": the samples' destination account and bucket are in the default scenario."""
    headers = _headers(login(emulator.client))
    listing = {"cloudAccountId": WASABI, "bucketName": "dest-bucket"}
    body = conforms(
        emulator.client.post("/api/v1/cloudaccount/list_objects", json=listing, headers=headers),
        "post",
        "/api/v1/cloudaccount/list_objects",
    )
    assert body["data"] == []
