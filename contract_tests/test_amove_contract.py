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
from emulators.testing import Emulator, answer, fault_rule

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
COVERAGE = CONTRACT.coverage
LOGIN = f"{AUTH}/login"
LOGOUT = f"{AUTH}/logout"
NEGOTIATE = "/api/rm/negotiate"


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
    """Reference, C1: v0 and v1 documents, the `{"error"}` alternative for a version the hub does not
    serve, 401 without a JWT."""
    headers = _headers(login(emulator.client))
    for query in ("", "?negotiateVersion=1"):
        conforms(
            emulator.client.post(f"/api/rm/negotiate{query}", headers=headers), "post", "/api/rm/negotiate"
        )
    refused = emulator.client.post("/api/rm/negotiate?negotiateVersion=-1", headers=headers)
    assert list(conforms(refused, "post", "/api/rm/negotiate")) == ["error"]
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


def test_a_password_reset_answers_as_declared(emulator: Emulator) -> None:
    """Reference, B1: `forgot_password {requestToken, username}`, then `reset_password {requestToken,
    resetToken, password}` with the mailed token (the control API's state shows it); the new password
    logs in."""
    client = emulator.client
    username, _, user_type = ADMIN
    forgot = {"requestToken": request_token(client), "username": username}
    conforms(client.post(f"{AUTH}/forgot_password", json=forgot), "post", f"{AUTH}/forgot_password")
    [reset_token] = emulator.control.state()["services"]["amove"]["reset_tokens"]
    reset = {"requestToken": request_token(client), "resetToken": reset_token, "password": "renewed"}
    done = client.post(f"{AUTH}/reset_password", json=reset)
    conforms(done, "post", f"{AUTH}/reset_password")
    assert done.status_code == 200
    assert login(client, (username, "renewed", user_type))


# --- the Error Model's answers on every operation --------------------------------------------------


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, item in CONTRACT.spec["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "delete")
    ]


def test_every_bearer_operation_refuses_a_request_without_a_valid_jwt(emulator: Emulator) -> None:
    """Reference, B2: "401 | auth missing/failed (also bad credentials on the Auth API)", without a
    body: every Main API operation and the hub's negotiate without a JWT or with one that does not
    authenticate, login with a wrong password, logout of a jwtToken that is not ours."""
    client = emulator.client
    for method, path, op in operations():
        if op.get("security") == []:
            continue
        for headers in ({}, _headers("not-a-jwt")):
            refused = client.request(method.upper(), path, headers=headers, json={})
            conforms(refused, method, path)
            assert refused.status_code == 401 and refused.content == b"", (method, path)
    username, _, user_type = ADMIN
    body = {
        "requestToken": request_token(client),
        "username": username,
        "password": "nope",
        "type": user_type,
    }
    conforms(client.post(LOGIN, json=body), "post", LOGIN)
    logout = {"requestToken": request_token(client), "jwtToken": "not-a-jwt"}
    refused = client.post(LOGOUT, json=logout)
    conforms(refused, "post", LOGOUT)
    assert refused.status_code == 401


def test_every_operation_answers_an_unexpected_error_with_500_and_no_body(emulator: Emulator) -> None:
    """Reference, B2: "500 | unexpected error, **no body**". The emulator has no failure of its own to
    show, so a fault rule makes each operation fail; the answer is the service's own 500."""
    emulator.control.add_fault(fault_rule(answer(500), service="amove"))
    declaring = [(m, p) for m, p, op in operations() if "500" in op["responses"]]
    assert len(declaring) == len(operations()) - 1  # all but the hub's negotiate
    for method, path in declaring:
        failed = emulator.client.request(method.upper(), path, headers=_headers("any"), json={})
        conforms(failed, method, path)
        assert failed.status_code == 500 and failed.content == b"", (method, path)


def test_spent_request_tokens_and_bad_list_parameters_are_499(emulator: Emulator) -> None:
    """Reference, B1 and B2: a request token is one-shot ("consumed by the first successful use"), so
    logout and forgot_password with a spent one are 499 `TOKEN`; list parameters that are not a
    page (`page` from 1) or a field of the record are 499 `DEFAULT`."""
    client = emulator.client
    spent = request_token(client)
    forgot = {"requestToken": spent, "username": "nobody@example.com"}
    conforms(client.post(f"{AUTH}/forgot_password", json=forgot), "post", f"{AUTH}/forgot_password")
    jwt = login(client)
    for path, body in (
        (f"{AUTH}/forgot_password", forgot),
        (LOGOUT, {"requestToken": spent, "jwtToken": jwt}),
    ):
        assert conforms(client.post(path, json=body), "post", path)["type"] == "TOKEN"
    headers = _headers(jwt)
    for path in ("/api/v1/apitoken/get_all", "/api/v1/cloudaccount/get_all", "/api/v1/transfer/get_all"):
        refused = client.get(path, params={"page": "0"}, headers=headers)
        assert conforms(refused, "get", path)["type"] == "DEFAULT", path
    unsortable = client.get("/api/v1/cloudaccount/get_all", params={"sortfield": "colour"}, headers=headers)
    assert conforms(unsortable, "get", "/api/v1/cloudaccount/get_all")["type"] == "DEFAULT"


def test_a_token_in_the_past_and_unknown_ids_are_499(emulator: Emulator) -> None:
    """Reference, B1 and B3, doc, "Cancel Transfer" ("Must belong to a user in the caller's Amove
    account"): an API token must expire in the future; an id that names nothing is 499 `NOT_FOUND`
    (transfers, cloud accounts and their buckets), and a cost of a source that does not exist too."""
    client = emulator.client
    headers = _headers(login(client))
    past = (emulator.world.clock.now() - timedelta(days=1)).isoformat()
    expired = client.post(
        "/api/v1/apitoken/insert", json={"title": "old", "expirationDate": past}, headers=headers
    )
    assert conforms(expired, "post", "/api/v1/apitoken/insert")["type"] == "DEFAULT"
    unknown = "22222222-2222-4222-8222-222222222222"
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("put", "/api/v1/cloudaccount/manage_share", {"json": {"id": unknown, "shared": True}}),
        ("post", "/api/v1/cloudaccount/list_buckets", {"json": {"cloudAccountId": unknown}}),
        ("post", "/api/v1/transfer/calculate_cost", {"json": {**SAMPLE_PAYLOAD, "sourcePath": "/none.txt"}}),
    ]
    calls += [("post", f"/api/v1/transfer/{op}", {"json": {"id": unknown}}) for op in TRANSFER_ID_OPERATIONS]
    for method, path, kwargs in calls:
        refused = client.request(method.upper(), path, headers=headers, **kwargs)
        assert conforms(refused, method, path)["type"] == "NOT_FOUND", (method, path)


TRANSFER_ID_OPERATIONS = ("cancel_transfer", "retry_transfer", "download_failed_files")


# --- every declared status, exercised --------------------------------------------------------------

NO_JWT = "test_every_bearer_operation_refuses_a_request_without_a_valid_jwt"
FAILURE = "test_every_operation_answers_an_unexpected_error_with_500_and_no_body"
SPENT_OR_BAD = "test_spent_request_tokens_and_bad_list_parameters_are_499"
UNKNOWN = "test_a_token_in_the_past_and_unknown_ids_are_499"
LOGINS = "test_the_login_operations_answer_as_declared"
TOKENS = "test_api_tokens_answer_as_declared"
ACCOUNTS = "test_cloud_accounts_answer_as_declared"
LIFE = "test_transfers_answer_as_declared_through_their_life"
# (method, path, status) → the test that receives it; 401 and 500 of every operation declaring them
# come from the two tests above that walk every operation.
NAMED = {
    ("post", f"{AUTH}/request_token", "200"): LOGINS,
    ("post", LOGIN, "200"): LOGINS,
    ("post", LOGIN, "499"): LOGINS,
    ("post", f"{AUTH}/mfa_respond", "200"): LOGINS,
    ("post", f"{AUTH}/mfa_respond", "499"): LOGINS,
    ("post", LOGOUT, "200"): LOGINS,
    ("post", LOGOUT, "499"): SPENT_OR_BAD,
    ("post", f"{AUTH}/forgot_password", "200"): LOGINS,
    ("post", f"{AUTH}/forgot_password", "499"): SPENT_OR_BAD,
    ("post", f"{AUTH}/reset_password", "200"): "test_a_password_reset_answers_as_declared",
    ("post", f"{AUTH}/reset_password", "499"): LOGINS,
    ("post", "/api/v1/apitoken/insert", "200"): TOKENS,
    ("post", "/api/v1/apitoken/insert", "499"): UNKNOWN,
    ("get", "/api/v1/apitoken/get_all", "200"): TOKENS,
    ("get", "/api/v1/apitoken/get_all", "499"): SPENT_OR_BAD,
    ("delete", "/api/v1/apitoken/delete", "200"): TOKENS,
    ("delete", "/api/v1/apitoken/delete", "499"): TOKENS,
    ("get", "/api/v1/cloudaccount/get_all", "200"): ACCOUNTS,
    ("get", "/api/v1/cloudaccount/get_all", "499"): SPENT_OR_BAD,
    ("post", "/api/v1/cloudaccount/insert", "200"): ACCOUNTS,
    ("post", "/api/v1/cloudaccount/insert", "499"): ACCOUNTS,
    ("put", "/api/v1/cloudaccount/manage_share", "200"): ACCOUNTS,
    ("put", "/api/v1/cloudaccount/manage_share", "499"): UNKNOWN,
    ("delete", "/api/v1/cloudaccount/delete", "200"): ACCOUNTS,
    ("delete", "/api/v1/cloudaccount/delete", "499"): ACCOUNTS,
    ("post", "/api/v1/cloudaccount/list_buckets", "200"): ACCOUNTS,
    ("post", "/api/v1/cloudaccount/list_buckets", "499"): UNKNOWN,
    ("post", "/api/v1/cloudaccount/list_objects", "200"): ACCOUNTS,
    ("post", "/api/v1/cloudaccount/list_objects", "499"): ACCOUNTS,
    ("get", "/api/v1/transfer/get_all", "200"): LIFE,
    ("get", "/api/v1/transfer/get_all", "499"): SPENT_OR_BAD,
    ("post", "/api/v1/transfer/transfer", "200"): LIFE,
    ("post", "/api/v1/transfer/transfer", "499"): LIFE,
    ("post", "/api/v1/transfer/calculate_cost", "200"): LIFE,
    ("post", "/api/v1/transfer/calculate_cost", "499"): UNKNOWN,
    ("post", "/api/v1/transfer/cancel_transfer", "200"): LIFE,
    ("post", "/api/v1/transfer/cancel_transfer", "499"): UNKNOWN,
    ("post", "/api/v1/transfer/retry_transfer", "200"): LIFE,
    ("post", "/api/v1/transfer/retry_transfer", "499"): UNKNOWN,
    ("post", "/api/v1/transfer/download_failed_files", "200"): LIFE,
    ("post", "/api/v1/transfer/download_failed_files", "499"): UNKNOWN,
    ("post", NEGOTIATE, "200"): "test_negotiate_answers_as_declared",
}
EXERCISES = {
    **{(m, p, s): NO_JWT for m, p, op in operations() for s in op["responses"] if s == "401"},
    **{(m, p, s): FAILURE for m, p, op in operations() for s in op["responses"] if s == "500"},
    **NAMED,
}


@pytest.mark.parametrize(("method", "path", "status"), sorted(EXERCISES))
def test_every_declared_status_is_exercised(method: str, path: str, status: str) -> None:
    """Reference, B2 and the Transfer Endpoints page: each status each operation declares is received
    by the test named for it above (checked against what that test actually received, whenever it ran
    in this run), and the table covers the spec's declared statuses exactly."""
    assert set(EXERCISES) == CONTRACT.declared_statuses()
    test_name = EXERCISES[(method, path, status)]
    assert callable(globals().get(test_name)), test_name
    if test_name in COVERAGE.ran:
        assert (test_name, method, path, status) in COVERAGE.exercised, (test_name, method, path, status)
