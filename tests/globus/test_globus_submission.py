"""Doc section 3: submission ids, POST /transfer and POST /delete, result documents and errors."""

from __future__ import annotations

import uuid

import pytest
from globus_helpers import COLLEAGUE_TOKEN, LAB, SCRATCH, SHARED, Globus, globus, item
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

__all__ = ["globus"]


def test_submission_id_is_a_fresh_uuid_each_time(globus: Globus):
    first = globus.ok(globus.get("/submission_id"))
    second = globus.ok(globus.get("/submission_id"))
    assert first["DATA_TYPE"] == "submission_id"
    assert uuid.UUID(first["value"]) and first["value"] != second["value"]


def test_transfer_is_accepted_with_the_documented_result(globus: Globus):
    document = globus.transfer_document()
    response = globus.post("/transfer", document)
    body = globus.ok(response, 202)
    assert body["DATA_TYPE"] == "transfer_result"
    assert body["code"] == "Accepted"
    assert body["submission_id"] == document["submission_id"]
    assert body["resource"] == "/transfer"
    assert isinstance(body["request_id"], str) and body["request_id"]
    assert body["task_link"]["href"] == f"task/{body['task_id']}?format=json"
    assert uuid.UUID(body["task_id"]) and body["task_id"] != document["submission_id"]


def test_resubmitting_a_used_submission_id_is_a_duplicate_that_creates_nothing(globus: Globus):
    document = globus.transfer_document(label="first")
    first = globus.ok(globus.post("/transfer", document), 202)
    again = globus.ok(globus.post("/transfer", {**document, "label": "second"}), 200)
    assert again["code"] == "Duplicate"
    assert again["task_id"] == first["task_id"]
    tasks = globus.ok(globus.get("/task_list"))
    assert tasks["total"] == 1
    assert tasks["DATA"][0]["label"] == "first"


def test_submission_ids_are_per_identity(globus: Globus):
    document = globus.transfer_document()
    mine = globus.ok(globus.post("/transfer", document), 202)
    shared = {**document, "source_endpoint": SHARED, "destination_endpoint": SHARED}
    shared["DATA"] = [item("/public/README.md", "/copy.md")]
    theirs = globus.ok(globus.post("/transfer", shared, token=COLLEAGUE_TOKEN), 202)
    assert theirs["code"] == "Accepted" and theirs["task_id"] != mine["task_id"]
    assert globus.ok(globus.get(f"/task/{theirs['task_id']}", token=COLLEAGUE_TOKEN))["status"] == "ACTIVE"
    again = globus.ok(globus.post("/transfer", shared, token=COLLEAGUE_TOKEN), 200)
    assert (again["code"], again["task_id"]) == ("Duplicate", theirs["task_id"])


def test_an_upper_cased_copy_of_a_used_submission_id_is_the_same_submission(globus: Globus):
    """Doc 3.2.4: a submission id is a UUID from /submission_id; compared as a UUID, its upper-cased
    copy names the same submission, a Duplicate (the service compares task and endpoint ids so too)."""
    document = globus.transfer_document()
    first = globus.ok(globus.post("/transfer", document), 202)
    again = {**document, "submission_id": document["submission_id"].upper()}
    duplicate = globus.ok(globus.post("/transfer", again), 200)
    assert (duplicate["code"], duplicate["task_id"]) == ("Duplicate", first["task_id"])
    assert globus.ok(globus.get("/task_list"))["total"] == 1


def test_an_empty_label_reads_back_as_null_and_an_empty_recursive_symlinks_is_refused(globus: Globus):
    """Doc 2.2, label (optional): an empty one is no label. Doc 2.3, recursive_symlinks: "ignore",
    "keep" or "copy"; the default applies only when it is left out."""
    task_id = globus.transfer(label="")
    assert globus.task(task_id)["label"] is None
    globus.ok(globus.put(f"/task/{task_id}", {"DATA_TYPE": "task", "label": "named"}))
    globus.ok(globus.put(f"/task/{task_id}", {"DATA_TYPE": "task", "label": ""}))
    assert globus.task(task_id)["label"] is None
    document = globus.transfer_document(recursive_symlinks="")
    globus.error(globus.post("/transfer", document), 400, "ClientError.BadRequest")


def test_a_non_boolean_recursive_names_its_item(globus: Globus):
    document = globus.transfer_document({**item("/~/a", "/~/b"), "recursive": "yes"})
    body = globus.error(globus.post("/transfer", document), 400, "ClientError.BadRequest")
    assert "'DATA[0].recursive'" in body["message"]


def test_a_delete_reusing_a_transfer_submission_id_is_a_duplicate_of_the_transfer(globus: Globus):
    document = globus.transfer_document()
    first = globus.ok(globus.post("/transfer", document), 202)
    delete = {
        "DATA_TYPE": "delete",
        "submission_id": document["submission_id"],
        "endpoint": LAB,
        "DATA": [{"DATA_TYPE": "delete_item", "path": "/~/experiments/"}],
    }
    body = globus.ok(globus.post("/delete", delete), 200)
    assert (body["code"], body["task_id"]) == ("Duplicate", first["task_id"])


def test_delete_is_accepted_with_a_delete_result(globus: Globus):
    document = {
        "DATA_TYPE": "delete",
        "submission_id": str(uuid.uuid4()),
        "endpoint": LAB,
        "DATA": [{"DATA_TYPE": "delete_item", "path": "/~/experiments/run-001/summary.csv"}],
    }
    body = globus.ok(globus.post("/delete", document), 202)
    assert (body["DATA_TYPE"], body["code"], body["resource"]) == ("delete_result", "Accepted", "/delete")


BAD_TRANSFERS = [
    ({"DATA": []}, "ClientError.BadRequest.NoTransferItems"),
    ({"DATA_TYPE": "delete"}, "ClientError.BadRequest"),
    ({"submission_id": None}, "ClientError.BadRequest"),
    ({"submission_id": "not-a-uuid"}, "ClientError.BadRequest"),
    ({"label": "x" * 129}, "ClientError.BadRequest"),
    ({"label": "semi;colon"}, "ClientError.BadRequest"),
    ({"label": "tab\there"}, "ClientError.BadRequest"),
    ({"label": " padded"}, "ClientError.BadRequest"),
    ({"label": "padded "}, "ClientError.BadRequest"),
    ({"label": 7}, "ClientError.BadRequest"),
    ({"deadline": "tomorrow"}, "ClientError.BadRequest"),
    ({"deadline": "2000-01-01T00:00:00+00:00"}, "ClientError.BadRequest"),
    ({"deadline": "9999-12-31T23:59:59-05:00"}, "ClientError.BadRequest"),
    ({"deadline": "0001-01-01T00:00:00+01:00"}, "ClientError.BadRequest"),
    ({"sync_level": 4}, "ClientError.BadRequest"),
    ({"sync_level": -1}, "ClientError.BadRequest"),
    ({"sync_level": "3"}, "ClientError.BadRequest"),
    ({"sync_level": True}, "ClientError.BadRequest"),
    ({"encrypt_data": "yes"}, "ClientError.BadRequest"),
    ({"verify_checksum": 1}, "ClientError.BadRequest"),
    ({"notify_on_succeeded": "false"}, "ClientError.BadRequest"),
    ({"recursive_symlinks": "follow"}, "ClientError.BadRequest"),
    (
        {"filter_rules": [{"DATA_TYPE": "filter_rule", "method": "drop", "name": "*.tmp"}]},
        "ClientError.BadRequest",
    ),
    (
        {"filter_rules": [{"DATA_TYPE": "filter_rule", "method": "exclude", "name": "a/b"}]},
        "ClientError.BadRequest",
    ),
    ({"source_endpoint": ""}, "ClientError.BadRequest"),
    ({"DATA": [item("/~/a/", "/~/b/", recursive=False)]}, "ClientError.BadRequest"),
    ({"DATA": [item("/~/a", "/~/b", recursive=True)]}, "ClientError.BadRequest"),
    ({"DATA": [item("/~/a/", "/~/b", recursive=True)]}, "ClientError.BadRequest"),
    (
        {"DATA": [{"DATA_TYPE": "transfer_symlink_item", "source_path": "/a/", "destination_path": "/b"}]},
        "ClientError.BadRequest",
    ),
    ({"DATA": [{"DATA_TYPE": "delete_item", "path": "/a"}]}, "ClientError.BadRequest"),
    ({"DATA": "not a list"}, "ClientError.BadRequest"),
]


@pytest.mark.parametrize(("change", "code"), BAD_TRANSFERS, ids=[str(c) for c, _ in BAD_TRANSFERS])
def test_bad_transfer_documents_are_400_with_the_documented_code(globus: Globus, change, code):
    document = {**globus.transfer_document(), **change}
    body = globus.error(globus.post("/transfer", document), 400, code)
    assert body["resource"] == "/transfer"
    assert globus.ok(globus.get("/task_list"))["total"] == 0


def test_a_label_of_every_allowed_character_and_128_long_is_accepted(globus: Globus):
    label = ("Az09 -_," * 16)[:127] + "x"
    task_id = globus.transfer(label=label)
    assert globus.task(task_id)["label"] == label


@pytest.mark.parametrize(
    "deadline", ["2099-01-02T03:04:05+00:00", "2099-01-02 03:04:05+00:00", "2099-01-02T03:04:05"]
)
def test_deadline_accepts_t_or_space_separated_iso_8601(globus: Globus, deadline: str):
    task_id = globus.transfer(deadline=deadline)
    assert globus.task(task_id)["deadline"] == "2099-01-02T03:04:05+00:00"


BAD_DELETES = [
    ({"DATA": []}, "ClientError.BadRequest.NoDeleteItems"),
    ({"endpoint": None}, "ClientError.BadRequest"),
    ({"recursive": "yes"}, "ClientError.BadRequest"),
    ({"ignore_missing": 0}, "ClientError.BadRequest"),
    ({"interpret_globs": "true"}, "ClientError.BadRequest"),
    ({"DATA": [{"DATA_TYPE": "transfer_item", "path": "/a"}]}, "ClientError.BadRequest"),
    ({"DATA": [{"DATA_TYPE": "delete_item"}]}, "ClientError.BadRequest"),
    ({"DATA_TYPE": "transfer"}, "ClientError.BadRequest"),
    ({"label": "x" * 129}, "ClientError.BadRequest"),
    ({"label": "new\nline"}, "ClientError.BadRequest"),
    ({"deadline": "2000-01-01 00:00:00+00:00"}, "ClientError.BadRequest"),
    ({"deadline": "9999-12-31T23:59:59-05:00"}, "ClientError.BadRequest"),
    ({"deadline": "0001-01-01T00:00:00+01:00"}, "ClientError.BadRequest"),
    ({"submission_id": "abc"}, "ClientError.BadRequest"),
]


@pytest.mark.parametrize(("change", "code"), BAD_DELETES, ids=[str(c) for c, _ in BAD_DELETES])
def test_bad_delete_documents_are_400(globus: Globus, change, code):
    document = {
        "DATA_TYPE": "delete",
        "submission_id": str(uuid.uuid4()),
        "endpoint": LAB,
        "DATA": [{"DATA_TYPE": "delete_item", "path": "/~/x"}],
        **change,
    }
    globus.error(globus.post("/delete", document), 400, code)


@pytest.mark.parametrize("body", [b"", b"{not json", b"[1, 2]", b"null"])
def test_a_body_that_is_not_a_json_object_is_a_globus_400(globus: Globus, body: bytes):
    response = globus.client.post("/v0.10/transfer", content=body, headers=globus.headers())
    globus.error(response, 400, "ClientError.BadRequest")


def test_an_unknown_endpoint_is_404_endpoint_not_found(globus: Globus):
    missing = str(uuid.uuid4())
    body = globus.error(
        globus.post("/transfer", globus.transfer_document(destination=missing)), 404, "EndpointNotFound"
    )
    assert body["message"] == f"No such endpoint '{missing}'"


def test_the_deprecated_canonical_name_is_still_accepted(globus: Globus):
    body = globus.ok(
        globus.post("/transfer", globus.transfer_document(source=f"researcher@example.org#{LAB}")), 202
    )
    assert globus.task(body["task_id"])["source_endpoint_id"] == LAB


def test_writing_to_an_endpoint_the_caller_may_only_read_is_403(globus: Globus):
    document = globus.transfer_document(source=SCRATCH, destination=LAB)
    document["DATA"] = [item("/~/previous/", "/~/in/")]
    globus.error(globus.post("/transfer", document, token=COLLEAGUE_TOKEN), 403, "PermissionDenied")


def test_reading_an_endpoint_without_any_access_is_403(globus: Globus):
    document = globus.transfer_document(source=SCRATCH, destination=SHARED)
    document["DATA"] = [item("/~/previous/", "/in/")]
    globus.error(globus.post("/transfer", document, token=COLLEAGUE_TOKEN), 403, "PermissionDenied")


def test_a_guest_collection_grants_its_own_access(globus: Globus):
    document = globus.transfer_document(source=SHARED, destination=SHARED)
    document["DATA"] = [item("/public/README.md", "/public/copy.md")]
    assert globus.ok(globus.post("/transfer", document, token=COLLEAGUE_TOKEN), 202)["code"] == "Accepted"


INACTIVE = """
extends: default
services:
  globus:
    endpoints:
      - {id: aaaaaaaa-0000-4000-8000-000000000001, display_name: Lab Storage, owner: researcher@example.org}
      - {id: bbbbbbbb-0000-4000-8000-000000000002, display_name: Old Scratch, owner: researcher@example.org,
         activated: false}
      - {id: dddddddd-0000-4000-8000-000000000004, display_name: Retired Host, owner: researcher@example.org,
         deleted: true}
      - {id: eeeeeeee-0000-4000-8000-000000000005, display_name: Orphan Share, owner: researcher@example.org,
         entity_type: GCSv5_guest_collection, host_endpoint: dddddddd-0000-4000-8000-000000000004}
"""


@pytest.mark.emulator(scenario_text=INACTIVE)
def test_an_endpoint_that_is_not_activated_is_409_no_cred_exception(globus: Globus):
    document = globus.transfer_document(destination=SCRATCH, DATA=[item("/a", "/b")])
    globus.error(globus.post("/transfer", document), 409, "NoCredException")


@pytest.mark.emulator(scenario_text=INACTIVE)
def test_a_shared_endpoint_whose_host_was_deleted_is_409_conflict(globus: Globus):
    document = globus.transfer_document(
        destination="eeeeeeee-0000-4000-8000-000000000005", DATA=[item("/a", "/b")]
    )
    globus.error(globus.post("/transfer", document), 409, "Conflict")


@pytest.mark.emulator(scenario_text=INACTIVE)
def test_a_deleted_host_is_no_endpoint_at_all(globus: Globus):
    """Doc 3.2.5 names Conflict for a shared endpoint whose host "has been deleted": the host itself
    is gone, so using it, reading it or finding it answers as for an unknown endpoint."""
    retired = "dddddddd-0000-4000-8000-000000000004"
    document = globus.transfer_document(destination=retired, DATA=[item("/a", "/b")])
    globus.error(globus.post("/transfer", document), 404, "EndpointNotFound")
    globus.error(globus.get(f"/endpoint/{retired}"), 404, "EndpointNotFound")
    found = globus.ok(globus.get("/endpoint_search", params={"filter_scope": "my-endpoints"}))["DATA"]
    assert retired not in [e["id"] for e in found] and found


@pytest.mark.emulator(scenario="globus-maintenance")
def test_a_maintenance_window_answers_503_service_unavailable(globus: Globus):
    assert globus.ok(globus.get("/submission_id"))
    globus.advance(60)
    refused = globus.post("/transfer", globus.transfer_document())
    body = globus.error(refused, 503, "ServiceUnavailable")
    assert body["message"] == "The service is down for maintenance until 10:00 UTC."
    assert refused.headers["Retry-After"] == "240", "the window ends 5 min after the start; it is 1 min"
    assert (body["resource"], len(body["request_id"])) == ("/transfer", 12)
    listing = globus.error(globus.get("/task_list"), 503, "ServiceUnavailable")
    assert listing["resource"] == "/task_list" and listing["request_id"] != body["request_id"]
    anonymous = globus.client.get("/v0.10/submission_id")
    globus.error(anonymous, 503, "ServiceUnavailable")
    globus.advance(600)
    assert globus.ok(globus.post("/transfer", globus.transfer_document()), 202)["code"] == "Accepted"


@pytest.mark.parametrize("header", [None, "Bearer nope-nope-nope", "Basic abc", "Bearer "])
def test_a_missing_or_unknown_token_is_401_authentication_failed(globus: Globus, header):
    headers = {"Authorization": header} if header else {}
    response = globus.client.get("/v0.10/submission_id", headers=headers)
    globus.error(response, 401, "ClientError.AuthenticationFailed")


def test_an_expired_token_is_401(globus: Globus, emulator):
    store = emulator.world.store_named("globus")
    store.tokens.expire("globus-dev-token", globus.now())
    globus.error(globus.get("/submission_id"), 401, "ClientError.AuthenticationFailed")


FORCED = """
extends: default
services:
  globus:
    endpoints:
      - {id: aaaaaaaa-0000-4000-8000-000000000001, display_name: Lab, owner: researcher@example.org,
         tree: {entries: [{path: a.txt, size: 1}]}}
      - {id: bbbbbbbb-0000-4000-8000-000000000002, display_name: Secure, owner: researcher@example.org,
         force_encryption: true}
"""


@pytest.mark.emulator(scenario_text=FORCED)
def test_encryption_is_forced_by_an_endpoint_that_requires_it(globus: Globus):
    task_id = globus.transfer(item("/a.txt", "/b.txt"), encrypt_data=False)
    assert globus.task(task_id)["encrypt_data"] is True


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.sampled_from(["", "/", "/~/x", "/~/x/", "ignore", "T"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "DATA_TYPE"]), inner, max_size=2)
    ),
    max_leaves=6,
)
TRANSFER_KEYS = [
    "DATA_TYPE",
    "submission_id",
    "label",
    "deadline",
    "source_endpoint",
    "destination_endpoint",
    "DATA",
    "sync_level",
    "encrypt_data",
    "recursive_symlinks",
    "filter_rules",
    "notify_on_failed",
    "skip_source_errors",
]


ITEMS = st.lists(
    st.fixed_dictionaries(
        {"DATA_TYPE": st.sampled_from(["transfer_item", "transfer_symlink_item", "delete_item"])},
        optional={
            "source_path": JSON_VALUES,
            "destination_path": JSON_VALUES,
            "recursive": JSON_VALUES,
            "path": JSON_VALUES,
        },
    ),
    max_size=3,
)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    changes=st.dictionaries(st.sampled_from(TRANSFER_KEYS), JSON_VALUES, max_size=4),
    path=st.sampled_from(["/transfer", "/delete"]),
    items=st.none() | ITEMS,
)
@example(changes={"DATA": [{"DATA_TYPE": "delete_item", "path": "/~/*"}]}, path="/delete", items=None)
def test_no_document_makes_the_emulator_answer_5xx(globus: Globus, changes, path, items):
    document = {**globus.transfer_document(), **changes}
    if items is not None:
        document["DATA"] = items
    if path == "/delete":
        document = {**document, "endpoint": changes.get("source_endpoint", LAB)}
    response = globus.post(path, document)
    assert response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/json"
