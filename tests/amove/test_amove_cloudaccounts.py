"""Cloud accounts (reference, B3): the caller's view with credentials masked, adding, sharing and
deleting, and browsing buckets and objects over the scenario's storage trees."""

from __future__ import annotations

from typing import Any

import pytest
from amove_helpers import ADMIN, EDITOR, S3, WASABI, Amove, as_user, problem

from emulators.testing import Emulator

TWO_OWNERS = """
version: 1
services:
  amove:
    accounts:
      - id: 9a0e1c52-7d1b-4f3c-8a56-0b1c2d3e4f50
        users:
          - {id: 9a0e1c52-0000-4000-8000-000000000001, username: a@example.com,
             password: pa, type: AccountAdmin}
          - {id: 9a0e1c52-0000-4000-8000-000000000002, username: u@example.com,
             password: pu, type: DesktopAdmin}
          - {id: 9a0e1c52-0000-4000-8000-000000000003, username: v@example.com,
             password: pv, type: DesktopAdmin}
        cloud_accounts:
          - id: 9a0e1c52-1111-4000-8000-000000000001
            name: Private of u
            cloud_type: Google
            owner: u@example.com
            secret_key: g-secret
            buckets:
              one:
                entries: [{path: a.txt, size: 1}]
      - id: 3b1f2c63-8e2c-4a4d-9b67-1c2d3e4f5a60
        users:
          - {id: 3b1f2c63-0000-4000-8000-000000000001, username: other@example.com,
             password: po, type: AccountAdmin}
"""
U = ("u@example.com", "pu", 16)
V = ("v@example.com", "pv", 16)
A = ("a@example.com", "pa", 4)
OTHER = ("other@example.com", "po", 4)
PRIVATE = "9a0e1c52-1111-4000-8000-000000000001"


def _names(api: Amove) -> list[str]:
    response = api.get("/cloudaccount/get_all")
    assert response.status_code == 200
    return [c["name"] for c in response.json()["data"]]


def test_get_all_masks_credentials_in_a_dto_collection(emulator: Emulator) -> None:
    # Reference, B3: "credentials masked"; B1: DTOCollection.
    document = as_user(emulator).get("/cloudaccount/get_all").json()
    assert document["total"] == 2 and set(document["options"]) == {"pageSize", "page", "sort"}
    s3 = next(c for c in document["data"] if c["id"] == S3)
    assert s3["cloudType"] == 1 and s3["name"] == "Media on S3"
    assert "s3-example-secret" not in str(document) and "AKIAEXAMPLEKEY000001" not in str(document)
    assert s3["secretKey"] == "********" and s3["accessKey"].startswith("****")


@pytest.mark.emulator(scenario_text=TWO_OWNERS)
def test_a_private_account_is_seen_by_its_owner_and_the_account_admin_only(emulator: Emulator) -> None:
    assert _names(as_user(emulator, U)) == ["Private of u"]
    assert _names(as_user(emulator, A)) == ["Private of u"]
    assert _names(as_user(emulator, V)) == []
    assert _names(as_user(emulator, OTHER)) == []


@pytest.mark.emulator(scenario_text=TWO_OWNERS)
def test_manage_share_is_for_the_owner_and_shows_the_account_to_the_others(emulator: Emulator) -> None:
    owner, peer = as_user(emulator, U), as_user(emulator, V)
    response = emulator.client.put(
        "/api/v1/cloudaccount/manage_share", json={"id": PRIVATE, "shared": True}, headers=owner.headers
    )
    assert (response.status_code, response.content) == (200, b"")
    assert _names(peer) == ["Private of u"]
    refused = emulator.client.put(
        "/api/v1/cloudaccount/manage_share", json={"id": PRIVATE, "shared": False}, headers=peer.headers
    )
    assert problem(refused) == "ACCESS"


def test_insert_answers_the_masked_account_and_delete_answers_true(emulator: Emulator) -> None:
    api = as_user(emulator, EDITOR)
    body = {"cloudType": 8, "name": "MinIO", "accessKey": "minio-access", "secretKey": "minio-secret"}
    assert problem(api.post("/cloudaccount/insert", body)) == "DEFAULT"  # serviceUrl required for S3Generic
    created = api.post("/cloudaccount/insert", {**body, "serviceUrl": "https://minio.example.com"})
    assert created.status_code == 200, created.text
    cloud: dict[str, Any] = created.json()
    assert (cloud["name"], cloud["internalStorage"], cloud["secretKey"]) == ("MinIO", False, "********")
    assert "MinIO" in _names(api)
    deleted = emulator.client.delete(
        "/api/v1/cloudaccount/delete", params={"id": cloud["id"]}, headers=api.headers
    )
    assert (deleted.status_code, deleted.json()) == (200, True)
    assert "MinIO" not in _names(api)


def test_deleting_a_missing_account_answers_the_pages_global_code(emulator: Emulator) -> None:
    # Reference, B3 inconsistency: "499 validation error with code `Global` and message "Object not found.""
    api = as_user(emulator)
    response = emulator.client.delete(
        "/api/v1/cloudaccount/delete",
        params={"id": "7f000000-0000-4000-8000-000000000000"},
        headers=api.headers,
    )
    assert response.status_code == 499
    assert response.json() == {"type": "Global", "status": 499, "errors": {"Global": ["Object not found."]}}


def test_credentials_the_provider_would_refuse_are_499(emulator: Emulator) -> None:
    api = as_user(emulator)
    assert problem(api.post("/cloudaccount/insert", {"cloudType": 1, "name": "empty"})) == "SECURITY"


def test_list_buckets_names_each_bucket_with_its_region(emulator: Emulator) -> None:
    api = as_user(emulator)
    buckets = api.post("/cloudaccount/list_buckets", {"cloudAccountId": WASABI, "includeRegion": True}).json()
    assert [(b["name"], b["region"], b["size"]) for b in buckets] == [("dest-bucket", "eu-central-1", 0)]
    no_region = api.post(
        "/cloudaccount/list_buckets", {"cloudAccountId": WASABI, "includeRegion": False}
    ).json()
    assert no_region[0]["region"] is None


def test_list_objects_pages_with_continuation_tokens(emulator: Emulator) -> None:
    # Reference, B3: list_objects {..., "continuationToken", "count"} → {data, continuationToken, ...}.
    api = as_user(emulator)
    seen: list[str] = []
    token: str | None = ""
    pages = 0
    while token is not None:
        page = api.objects(S3, "source-bucket", "/photos/shoot/", continuationToken=token, count=64)
        seen += [o["name"] for o in page["data"]]
        token = page["continuationToken"]
        pages += 1
    assert pages == 4 and len(seen) == 200 == len(set(seen))
    assert seen == sorted(seen) and seen[0].startswith("IMG-00000")


def test_list_objects_shows_folders_and_objects_of_a_million_object_bucket(emulator: Emulator) -> None:
    api = as_user(emulator)
    top = api.objects(S3, "archive", "/")
    assert [(o["name"], o["type"]) for o in top["data"]] == [("footage", 2)]
    reels = api.objects(S3, "archive", "/footage/", count=3)
    assert [o["name"] for o in reels["data"]] == ["reel-0000", "reel-0001", "reel-0002"]
    clips = api.objects(S3, "archive", "/footage/reel-0999/", count=1000)
    assert len(clips["data"]) == 1000 and clips["continuationToken"] is None
    assert clips["data"][0]["path"].startswith("/footage/reel-0999/clip-00999000")


def test_an_account_or_bucket_the_caller_cannot_see_is_not_found(emulator: Emulator) -> None:
    api = as_user(emulator, ADMIN)
    body = {"cloudAccountId": "7f000000-0000-4000-8000-000000000000", "bucketName": "x"}
    assert problem(api.post("/cloudaccount/list_objects", body)) == "NOT_FOUND"
    assert (
        problem(api.post("/cloudaccount/list_objects", {"cloudAccountId": S3, "bucketName": "x"}))
        == "NOT_FOUND"
    )
