"""Doc, "Authentication": bearer tokens on every endpoint, and the user rules."""

from __future__ import annotations

import uuid

import pytest
from conftest import API, DESTINATION, Relativity

TOKEN_URL = "/Relativity/Identity/connect/token"
IDENTITY = pytest.mark.emulator(scenario="relativity-identity")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", API),
        ("GET", f"{API}/{uuid.UUID(int=1)}"),
        ("DELETE", f"{API}/{uuid.UUID(int=1)}"),
        ("GET", f"{API}/{uuid.UUID(int=1)}/qc"),
    ],
)
def test_every_endpoint_needs_a_bearer_token(relativity: Relativity, method: str, path: str):
    response = relativity.client.request(method, path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="Relativity.REST"'
    assert response.json()["statusCode"] == 401


def test_an_unknown_token_is_refused(relativity: Relativity):
    response = relativity.get(str(uuid.uuid4()), token="not-a-token")
    assert response.status_code == 401
    assert response.json()["message"] == "The bearer token is not valid."


@IDENTITY
def test_a_token_expires_by_the_virtual_clock(relativity: Relativity):
    unknown_job = str(uuid.uuid4())
    assert relativity.get(unknown_job, token="short-lived-token").status_code == 404
    relativity.advance(600)
    expired = relativity.get(unknown_job, token="short-lived-token")
    assert expired.status_code == 401
    assert expired.json()["message"] == "The bearer token has expired."


def test_the_default_scenarios_administrator_token_is_refused(relativity: Relativity):
    """README: `relativity-admin-token` belongs to a System Administrator, whom the doc refuses."""
    response = relativity.get(str(uuid.uuid4()), token="relativity-admin-token")
    assert response.status_code == 403
    assert "System Administrator" in response.json()["message"]


@IDENTITY
def test_a_system_administrator_is_refused(relativity: Relativity):
    response = relativity.get(str(uuid.uuid4()), token="admin-token")
    assert response.status_code == 403
    assert "System Administrator" in response.json()["message"]


@IDENTITY
def test_a_user_without_access_to_the_fileshare_cannot_create_a_job(relativity: Relativity):
    body = {
        "transferJobID": str(uuid.uuid4()),
        "sourcePath": relativity.sas_url("small"),
        "destinationPath": DESTINATION,
    }
    response = relativity.post(body, token="other-tenant-token")
    assert response.status_code == 403
    assert response.json()["message"] == "The user has no access to the destination fileshare."
    assert relativity.get(body["transferJobID"]).status_code == 404, "nothing was created"


@IDENTITY
def test_client_credentials_issue_a_token_that_expires(relativity: Relativity):
    form = {
        "grant_type": "client_credentials",
        "client_id": "transfer-client",
        "client_secret": "transfer-secret",
        "scope": "SystemUserInfo",
    }
    issued = relativity.client.post(TOKEN_URL, data=form, headers={"X-CSRF-Header": "-"})
    assert issued.status_code == 200
    body = issued.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert body["access_token"].count(".") == 2, "a JWT-shaped token"
    assert relativity.get(str(uuid.uuid4()), token=body["access_token"]).status_code == 404
    relativity.advance(600)
    assert relativity.get(str(uuid.uuid4()), token=body["access_token"]).status_code == 401


@pytest.mark.parametrize(
    ("form", "error"),
    [
        (
            {"grant_type": "password", "client_id": "transfer-client", "client_secret": "transfer-secret"},
            "unsupported_grant_type",
        ),
        (
            {"grant_type": "client_credentials", "client_id": "transfer-client", "client_secret": "wrong"},
            "invalid_client",
        ),
        ({"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}, "invalid_client"),
        ({"grant_type": "client_credentials", "client_id": "transfer-client"}, "invalid_request"),
        (
            {
                "grant_type": "client_credentials",
                "client_id": "transfer-client",
                "client_secret": "transfer-secret",
                "scope": "Everything",
            },
            "invalid_scope",
        ),
    ],
)
def test_the_token_endpoint_answers_oauth2_errors(relativity: Relativity, form: dict, error: str):
    response = relativity.client.post(TOKEN_URL, data=form)
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_the_token_endpoint_wants_a_form(relativity: Relativity):
    response = relativity.client.post(TOKEN_URL, json={"grant_type": "client_credentials"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_the_journal_never_keeps_secrets(relativity: Relativity):
    form = {
        "grant_type": "client_credentials",
        "client_id": "transfer-client",
        "client_secret": "transfer-secret",
    }
    token = relativity.client.post(TOKEN_URL, data=form).json()["access_token"]
    relativity.get(str(uuid.uuid4()), token=token)
    entries = relativity.emulator.control.requests(service="relativity")
    text = str(entries)
    assert "transfer-secret" not in text and token not in text
    assert entries[-1]["headers"]["authorization"] == "Bearer ***"
