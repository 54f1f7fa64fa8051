"""Doc, "Error codes": every Azure error code maps to its ER code; anything else is ER_99999."""

from __future__ import annotations

import pytest

from emulators.relativity.errors import ER_CODES, er_code, er_message

DOC_TABLE = {
    "AuthenticationFailed": "ER_00001",
    "AuthorizationFailure": "ER_00002",
    "AuthorizationPermissionMismatch": "ER_00003",
    "InvalidAuthenticationInfo": "ER_00004",
    "CannotVerifyCopySource": "ER_00005",
    "BlobNotFound": "ER_10001",
    "BlobImmutableDueToPolicy": "ER_10002",
    "InvalidBlobType": "ER_10003",
    "InvalidMetadata": "ER_10004",
    "InvalidHeaderValue": "ER_10005",
    "BlockCountExceedsLimit": "ER_20001",
    "InvalidResourceName": "ER_20002",
    "SnapshotsPresent": "ER_20003",
    "BlobArchived": "ER_20004",
    "PathValidationFailed": "ER_20005",
}


@pytest.mark.parametrize(("azure", "er"), sorted(DOC_TABLE.items()))
def test_each_documented_azure_code_maps_to_its_er_code(azure: str, er: str):
    assert er_code(azure) == er


def test_the_table_has_exactly_the_documented_codes():
    assert set(ER_CODES) == {*DOC_TABLE.values(), "ER_99999"}


@pytest.mark.parametrize("code", ["ServerBusy", "InternalError", "", "er_00001"])
def test_anything_else_is_er_99999(code: str):
    assert er_code(code) == "ER_99999"


def test_an_er_code_passes_through_and_reads_with_its_description():
    assert er_code("ER_20004") == "ER_20004"
    assert (
        er_message("ER_20004")
        == "ER_20004: Source blob is in Archive tier and must be rehydrated before copy."
    )
