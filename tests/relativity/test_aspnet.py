"""What the ASP.NET Core host of the Transfer Service refuses or forgives, whatever the handler.

Reference, A1: the swagger's request media types for CreateTransferRequestV2 are `application/json`,
`text/json` and `application/*+json`; `transferJobID` and `jobId` are uuids (.NET Guids).
"""

from __future__ import annotations

import json
import uuid

import pytest
from conftest import API, DESTINATION, Relativity


def _body(relativity: Relativity, job_id: str) -> dict[str, object]:
    return {
        "transferJobID": job_id,
        "sourcePath": relativity.sas_url("small"),
        "destinationPath": DESTINATION,
    }


@pytest.mark.parametrize(
    "form",
    [
        lambda u: u.hex,
        lambda u: "{" + str(u) + "}",
        lambda u: u.urn,
        lambda u: "(" + str(u) + ")",
    ],
)
def test_a_body_job_id_must_be_a_dashed_guid(relativity: Relativity, form):
    # System.Text.Json reads a Guid only in its 36-character dashed form.
    job_id = uuid.uuid4()
    response = relativity.post(_body(relativity, form(job_id)))
    assert response.status_code == 400, response.text
    assert relativity.get(str(job_id)).status_code == 404


def test_a_dashed_guid_in_upper_case_is_the_same_job(relativity: Relativity):
    job_id = uuid.uuid4()
    assert relativity.post(_body(relativity, str(job_id).upper())).status_code == 200
    assert relativity.status(str(job_id))["transferJobID"] == str(job_id)


@pytest.mark.parametrize(
    ("form", "status"),
    [
        (lambda u: u.hex, 200),
        (lambda u: "{" + str(u) + "}", 200),
        (lambda u: "(" + str(u) + ")", 200),
        (lambda u: u.urn, 400),
        (lambda u: str(u) + "0", 400),
    ],
)
def test_a_path_job_id_is_bound_like_guid_try_parse(relativity: Relativity, form, status: int):
    job_id = relativity.create()
    assert relativity.get(form(uuid.UUID(job_id))).status_code == status


@pytest.mark.parametrize(
    "media_type", ["application/json", "text/json; charset=utf-8", "application/problem+json"]
)
def test_json_media_types_are_read(relativity: Relativity, media_type: str):
    job_id = str(uuid.uuid4())
    content = json.dumps(_body(relativity, job_id))
    headers = {**relativity.headers(), "Content-Type": media_type}
    assert relativity.client.post(API, content=content, headers=headers).status_code == 200


@pytest.mark.parametrize("media_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_other_media_types_are_415_and_create_nothing(relativity: Relativity, media_type: str | None):
    job_id = str(uuid.uuid4())
    content = json.dumps(_body(relativity, job_id))
    headers = relativity.headers() | ({"Content-Type": media_type} if media_type else {})
    response = relativity.client.post(API, content=content, headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["statusCode"] == 415
    assert relativity.get(job_id).status_code == 404


def test_the_token_is_checked_before_the_media_type(relativity: Relativity):
    headers = {"Authorization": "Bearer nobody", "Content-Type": "text/plain"}
    assert relativity.client.post(API, content="{}", headers=headers).status_code == 401


def test_paths_match_in_any_case_prefixes_included(relativity: Relativity):
    # ASP.NET Core (and IIS in front of it) match paths case-insensitively. A client that waits for
    # the QC report on 404 would wait forever if `/QC` were an unknown route.
    job_id = relativity.create()
    relativity.run_until_final(job_id)
    relativity.advance(3600)
    for prefix in ("/transfer-service", "/TRANSFER-SERVICE", "/Transfer-Service"):
        upper = f"{prefix}/API/V2/Transfer/Jobs/{job_id.upper()}"
        assert relativity.client.get(f"{upper}/QC", headers=relativity.headers()).status_code == 200
        document = relativity.client.get(upper, headers=relativity.headers()).json()
        assert document["transferJobID"] == job_id
        assert relativity.client.delete(upper, headers=relativity.headers()).status_code == 400  # finished


def test_the_token_endpoint_matches_in_any_case(relativity: Relativity):
    form = {"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}
    response = relativity.client.post("/RELATIVITY/identity/Connect/Token", data=form)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_client")
