"""Doc, "Error codes": one Azure condition gets one ER code, however the job runs into it.

The listing answers as List Blobs does and the copy as a server-side copy does (reference, A7); both
go through the one table in `errors`, as do data-fault rules and timeline actions.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from azure.storage.blob import generate_container_sas
from conftest import Relativity

from emulators.relativity.scenario import DEV_ACCOUNT, DEV_ACCOUNT_KEY

FAULTS = """
version: 1
extends: default
services:
  relativity:
    data_faults:
      - {{match: "devstoreaccount1/small/*", error: {error}, stage: enumeration}}
"""


def _enumeration_error(relativity: Relativity, job_id: str) -> str:
    document = relativity.run_until_final(job_id)
    assert document["enumerationStatistics"]["status"] == "failed"
    return document["enumerationStatistics"]["error"].split(":")[0]


def test_a_missing_container_is_er_10001(relativity: Relativity):
    assert _enumeration_error(relativity, relativity.create("no-such-container")) == "ER_10001"


@pytest.mark.emulator(scenario_text=FAULTS.format(error="ContainerNotFound"))
def test_a_container_not_found_fault_is_er_10001_too(relativity: Relativity):
    assert _enumeration_error(relativity, relativity.create("small")) == "ER_10001"


def test_an_https_only_sas_over_http_is_er_00002(relativity: Relativity):
    sas = generate_container_sas(
        DEV_ACCOUNT,
        "small",
        account_key=DEV_ACCOUNT_KEY,
        permission="rl",
        expiry=relativity.now() + timedelta(days=8),
        protocol="https",
    )
    source = f"http://127.0.0.1:10000/{DEV_ACCOUNT}/small?{sas}"
    assert _enumeration_error(relativity, relativity.create(source=source)) == "ER_00002"


@pytest.mark.emulator(scenario_text=FAULTS.format(error="AuthorizationProtocolMismatch"))
def test_an_authorization_protocol_mismatch_fault_is_er_00002_too(relativity: Relativity):
    assert _enumeration_error(relativity, relativity.create("small")) == "ER_00002"


def _rotation_at(seconds: float) -> str:
    return f"""
version: 1
extends: default
services:
  relativity:
    behaviour: {{queue_delay: 5, rate: {{enumeration_rate: 100}}}}
timeline:
  - {{at: {seconds}, service: relativity, action: rotate_account_key, args: {{account: devstoreaccount1}}}}
"""


@pytest.mark.parametrize("seconds", [4, 5, 6, 20])
def test_a_key_rotation_before_the_listing_ends_is_er_00001_whenever_it_falls(emulator_factory, seconds):
    """Before pickup, at the pickup instant, or while 10,000 names are listed at 100 a second: List
    Blobs answers AuthenticationFailed (ER_00001); copies already started fail with ER_00005."""
    relativity = Relativity(emulator_factory(scenario_text=_rotation_at(seconds)))
    job_id = relativity.create("files-10k")
    assert _enumeration_error(relativity, job_id) == "ER_00001"


@pytest.mark.emulator(
    scenario_text="""
version: 1
extends: default
services:
  relativity:
    behaviour: {queue_delay: 777600}
"""
)
def test_a_sas_that_expired_before_pickup_is_er_00001_as_list_blobs_answers(relativity: Relativity):
    """Reference, A7: List Blobs refuses an expired SAS with AuthenticationFailed ("Signature not
    valid in the specified time frame"), so the listing fails with ER_00001 (9 days in the queue)."""
    job_id = relativity.create(source=relativity.sas_url("small", days=8))
    relativity.advance(777_600)
    assert _enumeration_error(relativity, job_id) == "ER_00001"
