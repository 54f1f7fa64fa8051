"""Doc, "Source requirements": "a valid SAS Url token" with List and Read. A user delegation SAS is
signed with a delegation key rather than the account key (reference, A5: `skoid`, `sktid`, `skt`,
`ske`, `sks`, `skv`); the scenario declares the keys Azure would have handed out.
"""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from azure.storage.blob import UserDelegationKey, generate_container_sas
from conftest import Relativity

from emulators.relativity.scenario import DEV_ACCOUNT

KEY_VALUE = base64.b64encode(b"a user delegation key, 32 bytes.").decode()
DELEGATION = pytest.mark.emulator(
    scenario_text=f"""
version: 1
extends: default
clock: {{start: "2026-01-05T09:00:00Z"}}
services:
  relativity:
    azure:
      devstoreaccount1:
        delegation_keys:
          - signed_oid: 6f1c2d3e-0000-4000-8000-000000000001
            signed_tid: 6f1c2d3e-0000-4000-8000-0000000000aa
            signed_start: "2026-01-05T08:00:00Z"
            signed_expiry: "2026-01-20T08:00:00Z"
            signed_version: "2025-11-05"
            value: "{KEY_VALUE}"
"""
)


def _key(value: str = KEY_VALUE, oid: str = "6f1c2d3e-0000-4000-8000-000000000001") -> UserDelegationKey:
    key = UserDelegationKey()
    key.signed_oid = oid
    key.signed_tid = "6f1c2d3e-0000-4000-8000-0000000000aa"
    key.signed_start = "2026-01-05T08:00:00Z"
    key.signed_expiry = "2026-01-20T08:00:00Z"
    key.signed_service = "b"
    key.signed_version = "2025-11-05"
    key.value = value
    return key


def _source(relativity: Relativity, key: UserDelegationKey) -> str:
    sas = generate_container_sas(
        DEV_ACCOUNT,
        "small",
        user_delegation_key=key,
        permission="rl",
        expiry=relativity.now() + timedelta(days=8),
    )
    assert "skoid=" in sas
    return f"https://{DEV_ACCOUNT}.blob.core.windows.net/small?{sas}"


@DELEGATION
def test_a_user_delegation_sas_signed_with_a_declared_key_copies(relativity: Relativity):
    final = relativity.run_until_final(relativity.create(source=_source(relativity, _key())))
    assert (final["transferStatus"], final["enumerationStatistics"]["totalFiles"]) == ("Completed", 4)


@DELEGATION
@pytest.mark.parametrize(
    "key",
    [
        _key(value=base64.b64encode(b"some other key, also 32 bytes...").decode()),
        _key(oid="6f1c2d3e-0000-4000-8000-000000000002"),
    ],
)
def test_a_user_delegation_sas_no_declared_key_signs_fails_with_er_00001(relativity: Relativity, key):
    final = relativity.run_until_final(relativity.create(source=_source(relativity, key)))
    assert final["enumerationStatistics"]["error"].startswith("ER_00001")


@pytest.mark.emulator(
    scenario_text=f"""
version: 1
extends: default
clock: {{start: "2026-01-05T09:00:00Z"}}
services:
  relativity:
    behaviour: {{rate: {{bandwidth: 100000}}}}
    azure:
      devstoreaccount1:
        delegation_keys:
          - signed_oid: 6f1c2d3e-0000-4000-8000-000000000001
            signed_tid: 6f1c2d3e-0000-4000-8000-0000000000aa
            signed_start: "2026-01-05T08:00:00Z"
            signed_expiry: "2026-01-05T09:01:00Z"
            signed_version: "2025-11-05"
            value: "{KEY_VALUE}"
"""
)
def test_files_left_when_the_delegation_key_expires_fail_with_er_00005(relativity: Relativity):
    """A user delegation SAS works no longer than its key (`ske`): a copy slower than that loses its
    source, as an expired SAS does."""
    key = _key()
    key.signed_expiry = "2026-01-05T09:01:00Z"
    final = relativity.run_until_final(relativity.create("small", source=_source(relativity, key)))
    stats = final["transferStatistics"]
    assert (final["transferStatus"], final["enumerationStatistics"]["status"]) == ("Failed", "completed")
    assert stats["failedFiles"] > 0
    relativity.advance(3600)
    codes = {row[3] for row in relativity.report(final["transferJobID"])[1:] if row[2] == "failed"}
    assert codes == {"ER_00005"}
