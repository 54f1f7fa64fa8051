"""Credential expiry (INACTIVE and back), legacy activation, endpoint_search and timeline actions."""

from __future__ import annotations

import pytest
from globus_helpers import LAB, SCRATCH, SHARED, Globus, globus, item

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
    assert len(globus.ls("/~/big-copy/")) == copied
    globus.advance(10)  # re-activated at 40 s
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
    assert ids(token="globus-colleague-token") == [LAB, SHARED], "Scratch is not visible to the colleague"
    page = globus.ok(globus.get("/endpoint_search", params={"limit": 1}))
    assert (len(page["DATA"]), page["has_next_page"]) == (1, True)
    globus.error(
        globus.get("/endpoint_search", params={"filter_scope": "mine"}), 400, "ClientError.BadRequest"
    )
    globus.error(
        globus.get("/endpoint_search", params={"offset": 999, "limit": 2}), 400, "ClientError.BadRequest"
    )


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
