"""Credential expiry (INACTIVE and back), legacy activation, endpoint_search and timeline actions."""

from __future__ import annotations

import pytest
from globus_helpers import LAB, SCRATCH, SHARED, Globus, globus, item

from emulators.app import create_app
from emulators.core.errors import ScenarioError

__all__ = ["globus"]
EXPIRY = "globus-credential-expiry"
BIG = item("/~/big/", "/~/big-copy/")


@pytest.mark.emulator(scenario=EXPIRY)
def test_a_task_is_inactive_while_an_endpoint_lacks_credentials_then_finishes_late(globus: Globus):
    task_id = globus.transfer(BIG)  # queued 5 s, then 20 s of copying
    globus.advance(12)
    inactive = globus.task(task_id)
    assert (inactive["status"], inactive["nice_status"], inactive["is_ok"]) == (
        "INACTIVE",
        "NO_CREDENTIALS",
        False,
    )
    copied = inactive["files_transferred"]
    assert 0 < copied < 20
    assert globus.events(task_id)[0]["code"] == "NO_CREDENTIALS"
    globus.advance(20)
    assert globus.task(task_id)["files_transferred"] == copied, "nothing moves while INACTIVE"
    listing = globus.get(f"/operation/endpoint/{SCRATCH}/ls", params={"path": "/~/big-copy/"})
    globus.error(listing, 409, "NoCredException")
    globus.advance(8)  # re-activated at 40 s
    assert len(globus.ls("/~/big-copy/")) == copied
    globus.advance(2)
    assert globus.task(task_id)["status"] == "ACTIVE"
    globus.advance(10)  # 52 s: it would have finished at 25 s
    assert globus.task(task_id)["status"] == "ACTIVE"
    done = globus.finish(task_id, step=1)
    assert (done["status"], done["files_transferred"]) == ("SUCCEEDED", 20)
    assert done["completion_time"] == "2030-01-01T00:00:55+00:00"


@pytest.mark.emulator(scenario=EXPIRY)
def test_a_deadline_passing_while_inactive_expires_the_task(globus: Globus):
    task_id = globus.transfer(BIG, deadline="2030-01-01T00:00:30Z")
    globus.advance(60)
    document = globus.task(task_id)
    assert (document["status"], document["fatal_error"]["code"]) == ("FAILED", "EXPIRED")
    assert document["completion_time"] == "2030-01-01T00:00:30+00:00"


def flexible(default_deadline: int) -> str:
    """The credential-expiry scenario (INACTIVE from 10 s to 40 s) with a shorter shown deadline."""
    return f"""
extends: {EXPIRY}
services:
  globus:
    behaviour: {{default_deadline: {default_deadline}}}
"""


@pytest.mark.emulator(scenario_text=flexible(20))
def test_without_a_client_deadline_the_shown_deadline_passing_while_inactive_expires_the_task(globus: Globus):
    task_id = globus.transfer(BIG)
    globus.advance(19)
    assert globus.task(task_id)["status"] == "INACTIVE"
    globus.advance(1)
    document = globus.task(task_id)
    assert (document["status"], document["fatal_error"]["code"]) == ("FAILED", "EXPIRED")
    assert (document["completion_time"], document["deadline"]) == ("2030-01-01T00:00:20+00:00",) * 2
    assert document["subtasks_expired"] > 0
    event = globus.events(task_id)[0]
    assert (event["code"], event["is_error"], event["time"]) == ("EXPIRED", True, "2030-01-01T00:00:20+00:00")


@pytest.mark.emulator(scenario_text=flexible(8))
def test_without_a_client_deadline_going_inactive_after_the_shown_deadline_expires_the_task(globus: Globus):
    task_id = globus.transfer(BIG)
    globus.advance(9)
    assert globus.task(task_id)["status"] == "ACTIVE", "still making progress after the shown deadline"
    globus.advance(1)
    document = globus.task(task_id)
    assert (document["status"], document["fatal_error"]["code"]) == ("FAILED", "EXPIRED")
    assert document["completion_time"] == "2030-01-01T00:00:10+00:00"


@pytest.mark.emulator(scenario_text=flexible(45))
def test_without_a_client_deadline_a_task_active_again_before_the_shown_deadline_finishes(globus: Globus):
    task_id = globus.transfer(BIG)
    globus.advance(30)
    assert globus.task(task_id)["status"] == "INACTIVE"
    globus.advance(20)
    assert globus.task(task_id)["status"] == "ACTIVE", "active again at 40 s, past the shown deadline at 45 s"
    done = globus.finish(task_id, step=1)
    assert (done["status"], done["completion_time"]) == ("SUCCEEDED", "2030-01-01T00:00:55+00:00")


@pytest.mark.emulator(scenario=EXPIRY)
def test_submitting_to_an_endpoint_whose_activation_expired_is_409(globus: Globus):
    globus.advance(15)
    globus.error(globus.post("/transfer", globus.transfer_document(BIG)), 409, "NoCredException")
    assert globus.ok(globus.get(f"/endpoint/{SCRATCH}"))["activated"] is False


@pytest.mark.emulator(scenario="globus-slow-transfers")
def test_legacy_deactivate_and_autoactivate(globus: Globus):
    task_id = globus.transfer(BIG)
    globus.advance(10)
    assert globus.ok(globus.post(f"/endpoint/{SCRATCH}/deactivate"))["code"] == "Deactivated"
    assert globus.task(task_id)["status"] == "INACTIVE"
    requirements = globus.ok(globus.get(f"/endpoint/{SCRATCH}/activation_requirements"))
    assert (requirements["DATA_TYPE"], requirements["activated"]) == ("activation_requirements", False)
    result = globus.ok(globus.post(f"/endpoint/{SCRATCH}/autoactivate"))
    assert (result["code"], result["activated"]) == ("AutoActivated.CachedCredential", True)
    assert globus.task(task_id)["status"] == "ACTIVE"
    assert globus.ok(globus.post(f"/endpoint/{SCRATCH}/autoactivate"))["code"] == "AlreadyActivated"
    assert globus.ok(globus.post(f"/endpoint/{SCRATCH}/activate", {}))["activated"] is True


def test_deactivating_needs_write_access(globus: Globus):
    response = globus.post(f"/endpoint/{LAB}/deactivate", token="globus-colleague-token")
    globus.error(response, 403, "PermissionDenied")


def test_endpoint_search_by_text_and_scope(globus: Globus):
    def ids(token: str | None = None, **params) -> list[str]:
        body = globus.ok(globus.get("/endpoint_search", token=token, params=params))
        assert body["DATA_TYPE"] == "endpoint_list"
        return [e["id"] for e in body["DATA"]]

    assert ids(filter_fulltext="lab") == [LAB, SHARED]
    assert ids(filter_fulltext="scratch") == [SCRATCH]
    assert ids(filter_scope="shared-by-me") == [SHARED]
    assert ids(token="globus-colleague-token", filter_scope="shared-with-me") == [LAB, SHARED]
    visible = ids(token="globus-colleague-token", filter_fulltext="researcher")
    assert visible == [LAB, SHARED], "Scratch is not visible to the colleague"
    page = globus.ok(globus.get("/endpoint_search", params={"filter_fulltext": "lab", "limit": 1}))
    assert (len(page["DATA"]), page["has_next_page"]) == (1, True)
    globus.error(
        globus.get("/endpoint_search", params={"filter_scope": "mine"}), 400, "ClientError.BadRequest"
    )
    globus.error(
        globus.get("/endpoint_search", params={"filter_fulltext": "lab", "offset": 999, "limit": 2}),
        400,
        "ClientError.BadRequest",
    )


def test_endpoint_search_filters_as_globus_sdk_documents_them(globus: Globus):
    """globus-sdk `TransferClient.endpoint_search`: scope `all` (the default) needs filter_fulltext;
    filter_owner_id (an identity id) conflicts with my-endpoints, my-gcp-endpoints and shared-by-me;
    filter_non_functional and filter_entity_type are mutually exclusive; filter_host_endpoint keeps
    the collections an endpoint hosts."""

    def ids(**params: str) -> list[str]:
        return [e["id"] for e in globus.ok(globus.get("/endpoint_search", params=params))["DATA"]]

    def refused(**params: str) -> None:
        globus.error(globus.get("/endpoint_search", params=params), 400, "ClientError.BadRequest")

    researcher, colleague = "7c1b2a4e-0d3f-4f6a-9b8e-1a2b3c4d5e01", "7c1b2a4e-0d3f-4f6a-9b8e-1a2b3c4d5e02"
    refused()
    refused(filter_scope="all", filter_fulltext=" ")
    assert ids(filter_scope="shared-with-me") == []
    assert ids(filter_fulltext="lab", filter_owner_id=researcher) == [LAB, SHARED]
    assert ids(filter_fulltext="lab", filter_owner_id=colleague) == []
    by_name = [SCRATCH, LAB, SHARED]  # HPC Scratch, Lab Storage, Lab Storage Shared
    assert ids(filter_scope="administered-by-me", filter_owner_id=researcher.upper()) == by_name
    refused(filter_scope="my-endpoints", filter_owner_id=researcher)
    assert ids(filter_fulltext="lab", filter_host_endpoint=LAB) == [SHARED]
    refused(filter_fulltext="lab", filter_host_endpoint="dddddddd-0000-4000-8000-000000000004")
    assert ids(filter_fulltext="lab", filter_entity_type="GCSv5_guest_collection") == [SHARED]
    assert ids(filter_fulltext="lab", filter_entity_type="GCSv5_mapped_collection") == [LAB]
    refused(filter_fulltext="lab", filter_entity_type="GCSv9_nothing")
    assert ids(filter_fulltext="lab", filter_non_functional="0") == [LAB, SHARED]
    assert ids(filter_fulltext="lab", filter_non_functional="1") == []
    refused(filter_fulltext="lab", filter_non_functional="1", filter_entity_type="GCSv5_endpoint")


TOKEN_EXPIRY = """
extends: default
timeline:
  - {at: 30, service: globus, action: expire_token, args: {token: globus-dev-token}}
"""


@pytest.mark.emulator(scenario_text=TOKEN_EXPIRY)
def test_a_timeline_can_expire_a_token(globus: Globus):
    assert globus.get("/submission_id").status_code == 200
    globus.advance(30)
    globus.error(globus.get("/submission_id"), 401, "ClientError.AuthenticationFailed")


@pytest.mark.emulator(scenario=EXPIRY)
def test_file_operations_on_an_endpoint_that_is_not_activated_are_409(globus: Globus):
    globus.advance(15)  # the scenario expires Scratch's activation at 10 s
    calls = [
        globus.get(f"/operation/endpoint/{SCRATCH}/ls", params={"path": "/~/"}),
        globus.get(f"/operation/endpoint/{SCRATCH}/stat", params={"path": "/~/"}),
        globus.post(f"/operation/endpoint/{SCRATCH}/mkdir", {"DATA_TYPE": "mkdir", "path": "/~/new"}),
        globus.post(
            f"/operation/endpoint/{SCRATCH}/rename",
            {"DATA_TYPE": "rename", "old_path": "/~/a", "new_path": "/~/b"},
        ),
    ]
    for response in calls:
        globus.error(response, 409, "NoCredException")
    assert globus.ls("/~/", endpoint=LAB), "an activated endpoint still answers"
    globus.advance(30)  # activated again at 40 s
    assert globus.ls("/") == []


UNKNOWN = "00000000-0000-4000-8000-0000000000ff"


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        (
            f"{{at: 5, service: globus, action: expire_activation, args: {{endpoint: {UNKNOWN}}}}}",
            f"timeline.0.args.endpoint: unknown endpoint '{UNKNOWN}'",
        ),
        (
            "{at: 5, service: globus, action: activate_endpoint, args: {}}",
            "timeline.0.args.endpoint: required",
        ),
        ("{at: 5, service: globus, action: expire_token, args: {}}", "timeline.0.args.token: required"),
    ],
)
def test_timeline_actions_with_bad_arguments_are_refused_when_the_scenario_loads(event, problem):
    text = f"version: 1\nextends: default\ntimeline:\n  - {event}\n"
    with pytest.raises(ScenarioError) as caught:
        create_app(scenario_text=text)
    assert f"<scenario>:4: {problem}" in str(caught.value)
