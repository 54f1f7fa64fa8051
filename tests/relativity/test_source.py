"""Doc, "Source requirements": SAS URLs checked at creation, and as enumeration would find them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from azure.storage.blob import (
    AccountSasPermissions,
    ResourceTypes,
    generate_account_sas,
    generate_blob_sas,
    generate_container_sas,
)
from conftest import DESTINATION, Relativity

from emulators.relativity.scenario import DEV_ACCOUNT, DEV_ACCOUNT_KEY

pytestmark = pytest.mark.real_client


def _post(relativity: Relativity, source: str):
    return relativity.post(
        {"transferJobID": str(uuid.uuid4()), "sourcePath": source, "destinationPath": DESTINATION}
    )


@pytest.mark.parametrize(
    "host",
    [
        f"https://{DEV_ACCOUNT}.blob.core.windows.net",
        f"https://{DEV_ACCOUNT}.dfs.core.windows.net",
        f"http://127.0.0.1:10000/{DEV_ACCOUNT}",
    ],
)
def test_a_sas_from_azure_storage_blob_is_accepted_on_every_host_form(relativity: Relativity, host: str):
    job_id = relativity.create(source=relativity.sas_url("small", host=host))
    relativity.advance(30)
    document = relativity.status(job_id)
    assert document["enumerationStatistics"]["status"] == "completed"
    assert document["enumerationStatistics"]["totalFiles"] == 4


def test_a_folder_inside_the_container_copies_only_that_folder(relativity: Relativity):
    job_id = relativity.create(source=relativity.sas_url("small", path="custodian1"))
    final = relativity.run_until_final(job_id)
    assert final["enumerationStatistics"]["totalFiles"] == 3
    assert final["sourceFullPath"] == f"https://{DEV_ACCOUNT}.blob.core.windows.net/small/custodian1"
    rows = _report_after_qc(relativity, job_id)
    assert sorted(r[0] for r in rows[1:]) == ["docs/contract.docx", "docs/notes.txt", "mail/2019-01.pst"]


def _report_after_qc(relativity: Relativity, job_id: str) -> list[list[str]]:
    while relativity.qc(job_id).status_code == 404:
        relativity.advance(10)
    return relativity.report(job_id)


def test_empty_directories_are_counted(relativity: Relativity):
    final = relativity.run_until_final(relativity.create("small"))
    assert final["enumerationStatistics"]["totalEmptyDirectories"] == 1
    assert final["transferStatistics"]["successfulEmptyDirectories"] == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"permission": "r"}, "Read and List"),
        ({"permission": "l"}, "Read and List"),
        ({"days": 6.9}, "at least 7 days"),
    ],
)
def test_source_rules_are_checked_at_creation(relativity: Relativity, kwargs: dict, message: str):
    response = _post(relativity, relativity.sas_url("small", **kwargs))
    assert response.status_code == 400
    assert message in response.json()["message"]


def _account_sas(relativity: Relativity, resource_types: ResourceTypes, key: str = DEV_ACCOUNT_KEY) -> str:
    sas = generate_account_sas(
        DEV_ACCOUNT,
        key,
        resource_types,
        AccountSasPermissions(read=True, list=True),
        expiry=relativity.now() + timedelta(days=8),
    )
    return f"https://{DEV_ACCOUNT}.blob.core.windows.net/small?{sas}"


def test_an_account_sas_with_read_and_list_is_accepted(relativity: Relativity):
    """Doc, "Source requirements": "a valid SAS Url" with List and Read; an account SAS is one."""
    source = _account_sas(relativity, ResourceTypes(container=True, object=True))
    final = relativity.run_until_final(relativity.create(source=source))
    assert (final["transferStatus"], final["enumerationStatistics"]["totalFiles"]) == ("Completed", 4)


@pytest.mark.parametrize(
    ("resource_types", "key", "code"),
    [
        (ResourceTypes(object=True), DEV_ACCOUNT_KEY, "ER_00002"),  # AuthorizationResourceTypeMismatch
        (ResourceTypes(container=True, object=True), base64.b64encode(b"x" * 64).decode(), "ER_00001"),
    ],
)
def test_an_account_sas_that_cannot_list_fails_enumeration(
    relativity: Relativity, resource_types: ResourceTypes, key: str, code: str
):
    job_id = relativity.create(source=_account_sas(relativity, resource_types, key))
    final = relativity.run_until_final(job_id)
    assert final["enumerationStatistics"]["error"].startswith(code)


def test_an_undeclared_account_is_refused(relativity: Relativity):
    source = relativity.sas_url("small", host="https://otheraccount.blob.core.windows.net")
    response = _post(relativity, source)
    assert response.status_code == 400
    assert "otheraccount" in response.json()["message"]


def test_a_url_that_is_not_a_sas_is_refused(relativity: Relativity):
    response = _post(relativity, "https://devstoreaccount1.blob.core.windows.net/small")
    assert response.status_code == 400
    assert response.json()["message"].startswith("sourcePath is not a SAS URL")


def test_a_tampered_signature_fails_enumeration_with_er_00001(relativity: Relativity):
    source = relativity.sas_url("small").replace("sp=rl", "sp=rwl")
    job_id = relativity.create(source=source)
    relativity.advance(10)
    document = relativity.status(job_id)
    assert (document["enumerationStatistics"]["status"], document["transferStatus"]) == ("failed", "Failed")
    assert document["enumerationStatistics"]["error"].startswith("ER_00001")
    assert relativity.qc(job_id).status_code == 404


def test_a_sas_signed_with_another_key_fails_enumeration(relativity: Relativity):
    other_key = "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktb3RoZXIta2V5LW90aGVyLWs="
    job_id = relativity.create(source=relativity.sas_url("small", key=other_key))
    relativity.advance(10)
    assert relativity.status(job_id)["enumerationStatistics"]["error"].startswith("ER_00001")


def test_a_sas_not_yet_valid_at_pickup_fails_enumeration(relativity: Relativity):
    job_id = relativity.create(
        source=relativity.sas_url("small", start=relativity.now() + timedelta(hours=1))
    )
    relativity.advance(10)
    assert relativity.status(job_id)["enumerationStatistics"]["error"].startswith("ER_00001")


def test_a_missing_container_fails_enumeration_with_er_10001(relativity: Relativity):
    job_id = relativity.create(source=relativity.sas_url("no-such-container"))
    relativity.advance(10)
    assert relativity.status(job_id)["enumerationStatistics"]["error"].startswith("ER_10001")


@pytest.mark.parametrize("path", ["no-such-folder", "custodian1/docs/notes.txt"])
def test_a_folder_with_nothing_under_it_fails_enumeration_with_er_10001(relativity: Relativity, path: str):
    job_id = relativity.create(source=relativity.sas_url("small", path=path))
    relativity.advance(10)
    document = relativity.status(job_id)
    assert document["transferStatus"] == "Failed"
    assert document["enumerationStatistics"]["error"].startswith("ER_10001")


def test_a_folder_that_exists_is_copied(relativity: Relativity):
    job_id = relativity.create(source=relativity.sas_url("small", path="custodian1"))
    final = relativity.run_until_final(job_id)
    assert final["transferStatus"] == "Completed" and final["enumerationStatistics"]["totalFiles"] > 0


ON_ADLS = pytest.mark.emulator(
    scenario_text="""
version: 1
extends: default
services:
  relativity:
    azure:
      devstoreaccount1: {hierarchical_namespace: true}
"""
)


def _directory_sas_url(relativity: Relativity) -> str:
    """An ADLS directory SAS (sr=d) for small/custodian1, made by azure-storage-blob."""
    sas = generate_blob_sas(
        DEV_ACCOUNT,
        "small",
        "custodian1",
        account_key=DEV_ACCOUNT_KEY,
        permission="rl",
        expiry=relativity.now() + timedelta(days=8),
        is_directory=True,
    )
    return f"https://{DEV_ACCOUNT}.dfs.core.windows.net/small/custodian1?{sas}"


def test_a_directory_sas_needs_a_hierarchical_namespace(relativity: Relativity):
    job_id = relativity.create(source=_directory_sas_url(relativity))
    relativity.advance(10)
    assert relativity.status(job_id)["enumerationStatistics"]["error"].startswith("ER_00002")


@ON_ADLS
def test_a_directory_sas_works_on_an_adls_account(relativity: Relativity):
    job_id = relativity.create(source=_directory_sas_url(relativity))
    final = relativity.run_until_final(job_id)
    assert final["transferStatus"] == "Completed"
    assert final["enumerationStatistics"]["totalFiles"] == 3


@ON_ADLS
def test_a_directory_sas_with_the_wrong_depth_fails_enumeration_with_er_00001(relativity: Relativity):
    url = _directory_sas_url(relativity)
    assert "sdd=1" in url
    job_id = relativity.create(source=url.replace("sdd=1", "sdd=2"))
    relativity.advance(10)
    assert relativity.status(job_id)["enumerationStatistics"]["error"].startswith("ER_00001")


def test_an_https_only_sas_is_refused_over_plain_http(relativity: Relativity):
    sas = generate_container_sas(
        DEV_ACCOUNT,
        "small",
        account_key=DEV_ACCOUNT_KEY,
        permission="rl",
        expiry=relativity.now() + timedelta(days=8),
        protocol="https",
    )
    over_http = relativity.create(source=f"http://127.0.0.1:10000/{DEV_ACCOUNT}/small?{sas}")
    over_https = relativity.create(source=f"https://{DEV_ACCOUNT}.blob.core.windows.net/small?{sas}")
    relativity.advance(10)
    assert relativity.status(over_http)["enumerationStatistics"]["error"].startswith("ER_00002")
    assert relativity.status(over_https)["enumerationStatistics"]["error"] is None


def test_a_sas_signed_the_pre_2018_way_is_accepted(relativity: Relativity):
    """Older SDKs still sign version 2018-03-28 without the signed-resource and snapshot lines."""
    expiry = (relativity.now() + timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = "\n".join(["rl", "", expiry, f"/blob/{DEV_ACCOUNT}/small", "", "", "", "2018-03-28"]) + "\n" * 5
    digest = hmac.new(base64.b64decode(DEV_ACCOUNT_KEY), text.encode(), hashlib.sha256).digest()
    query = urlencode(
        {"sv": "2018-03-28", "sr": "c", "sp": "rl", "se": expiry, "sig": base64.b64encode(digest)}
    )
    job_id = relativity.create(source=f"https://{DEV_ACCOUNT}.blob.core.windows.net/small?{query}")
    final = relativity.run_until_final(job_id)
    assert (final["transferStatus"], final["enumerationStatistics"]["error"]) == ("Completed", None)
