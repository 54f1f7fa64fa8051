"""POST /transfers: the validation order, error ids and codes, auth, and the 201 answer
(reference 1.1, 3.1 and 4; the create-transfer doc)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from onedata_helpers import API, KRAKOW, LISBON, PARIS, SCENARIO, SPACE, MiB, Onedata, outsider_file_id

from emulators.onedata.file_id import file_objectid
from emulators.testing import Emulator


def error_of(response: object) -> dict[str, object]:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}
    assert {"id", "description"} <= set(body["error"]) <= {"id", "description", "details"}
    error: dict[str, object] = body["error"]
    return error


def test_doc_example_replication_is_created_with_its_location(onedata: Onedata) -> None:
    # create-transfer doc, "Create file replication", and its 201 response.
    body = {"type": "replication", "replicatingProviderId": KRAKOW, "dataSourceType": "file"}
    response = onedata.post({**body, "fileId": onedata.file_id("data/a.bin")})
    assert response.status_code == 201
    transfer_id = response.json()["transferId"]
    assert set(response.json()) == {"transferId"}
    assert response.headers["Location"] == f"http://emulator.test{API}/transfers/{transfer_id}"


def test_an_empty_body_misses_data_source_type_first(onedata: Onedata) -> None:
    # Reference 1.1: required keys in alphabetical order, so {} misses dataSourceType.
    response = onedata.client.post(f"{API}/transfers", headers=onedata.headers())
    assert response.status_code == 400
    assert error_of(response) == {
        "id": "missingRequiredValue",
        "description": "Missing required value: dataSourceType.",
        "details": {"key": "dataSourceType"},
    }


@pytest.mark.parametrize(
    ("body", "error_id", "key"),
    [
        ({"dataSourceType": "file"}, "missingRequiredValue", "fileId"),
        ({"dataSourceType": "file", "fileId": "X"}, "badValueIdentifier", "fileId"),
        ({"dataSourceType": "disk", "type": "replication"}, "badValueNotAllowed", "dataSourceType"),
        ({"dataSourceType": 100}, "badValueString", "dataSourceType"),
        ({"dataSourceType": "view", "type": "eviction"}, "missingRequiredValue", "evictingProviderId"),
        ({"dataSourceType": "view", "evictingProviderId": "P"}, "missingRequiredValue", "spaceId"),
        ({"dataSourceType": "view", "spaceId": "S"}, "missingRequiredValue", "type"),
        ({"dataSourceType": "view", "spaceId": "S", "type": "copy"}, "badValueNotAllowed", "type"),
        (
            {"dataSourceType": "view", "spaceId": "S", "type": "migration"},
            "missingRequiredValue",
            "evictingProviderId",
        ),
        (
            {"dataSourceType": "view", "spaceId": "", "type": "eviction"},
            "missingRequiredValue",
            "evictingProviderId",
        ),
        (
            {"dataSourceType": "view", "evictingProviderId": "P", "spaceId": "", "type": "eviction"},
            "badValueEmpty",
            "spaceId",
        ),
    ],
)
def test_data_errors_come_in_the_real_order(
    onedata: Onedata, body: dict[str, object], error_id: str, key: str
) -> None:
    response = onedata.post(body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["id"] == error_id
    assert error["details"]["key"] == key  # type: ignore[index]


def test_bad_enum_values_list_the_allowed_ones(onedata: Onedata) -> None:
    response = onedata.post({"dataSourceType": "file", "fileId": onedata.file_id("data"), "type": "copy"})
    assert error_of(response)["details"] == {
        "key": "type",
        "allowed": ["replication", "eviction", "migration"],
    }


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_malformed_data(onedata: Onedata, raw: bytes) -> None:
    response = onedata.client.post(f"{API}/transfers", content=raw, headers=onedata.headers())
    assert response.status_code == 400
    assert error_of(response)["id"] == "malformedData"


def test_the_query_string_wins_over_the_body(onedata: Onedata) -> None:
    # Reference 1.1: maps:merge(Body, Query).
    body = {"type": "eviction", "dataSourceType": "file", "fileId": onedata.file_id("data/a.bin")}
    response = onedata.client.post(
        f"{API}/transfers",
        params={"type": "replication", "replicatingProviderId": KRAKOW},
        json=body,
        headers=onedata.headers(),
    )
    assert response.status_code == 201, response.text
    assert onedata.status(response.json()["transferId"])["type"] == "replication"


def test_a_provider_id_the_type_does_not_use_is_ignored(onedata: Onedata) -> None:
    transfer_id = onedata.create("data/a.bin", type="eviction", evictingProviderId=LISBON)
    document = onedata.status(transfer_id)
    assert (document["replicatingProviderId"], document["evictingProviderId"]) == (None, LISBON)


def test_no_token_is_unauthorized_after_sanitizing(onedata: Onedata) -> None:
    body = {"type": "replication", "replicatingProviderId": KRAKOW, "dataSourceType": "file"}
    response = onedata.client.post(f"{API}/transfers", json={**body, "fileId": onedata.file_id("data")})
    assert response.status_code == 401
    assert error_of(response) == {
        "id": "unauthorized",
        "description": "You must authenticate yourself to perform this operation.",
    }
    # Reference 1.1: sanitizing comes first, so a guest's bad body is a 400.
    assert onedata.client.post(f"{API}/transfers", json={}).status_code == 400


def test_a_bad_token_is_unauthorized_with_its_auth_error(onedata: Onedata) -> None:
    response = onedata.post({}, token="not-a-token")
    assert response.status_code == 401
    error = error_of(response)
    assert error["id"] == "unauthorized"
    assert error["details"]["authError"]["id"] == "tokenInvalid"  # type: ignore[index]


@pytest.mark.parametrize("header", ["X-Auth-Token", "Authorization", "Macaroon"])
def test_every_token_header_is_accepted(onedata: Onedata, header: str) -> None:
    # Reference 4: X-Auth-Token, Authorization: Bearer, Macaroon.
    value = f"Bearer {onedata.token}" if header == "Authorization" else onedata.token
    transfer_id = onedata.create("data/a.bin")
    assert onedata.client.get(f"{API}/transfers/{transfer_id}", headers={header: value}).status_code == 200


@pytest.mark.parametrize(
    ("token", "kind"),
    [("viewer-token", "replication"), ("outsider-token", "replication"), ("viewer-token", "eviction")],
)
def test_without_the_schedule_privilege_it_is_forbidden(onedata: Onedata, token: str, kind: str) -> None:
    body = {"type": kind, "replicatingProviderId": KRAKOW, "evictingProviderId": LISBON}
    response = onedata.post(
        {**body, "dataSourceType": "file", "fileId": onedata.file_id("data")}, token=token
    )
    assert response.status_code == 403
    assert error_of(response) == {
        "id": "forbidden",
        "description": "You are not authorized to perform this operation.",
    }


def test_a_file_of_another_space_is_forbidden(onedata: Onedata) -> None:
    # Reference 1.1: a fileId from a space the user is not in gives 403.
    response = onedata.post(
        {
            "type": "replication",
            "replicatingProviderId": KRAKOW,
            "dataSourceType": "file",
            "fileId": outsider_file_id(),
        }
    )
    assert response.status_code == 403


def test_an_unsupporting_provider_is_space_not_supported_by(onedata: Onedata) -> None:
    body = {"type": "migration", "replicatingProviderId": PARIS, "evictingProviderId": "nowhere"}
    response = onedata.post({**body, "dataSourceType": "file", "fileId": onedata.file_id("data")})
    assert response.status_code == 400
    assert error_of(response) == {
        "id": "spaceNotSupportedBy",
        "description": f"Specified space: {SPACE} is not supported by provider nowhere.",
        "details": {"spaceId": SPACE, "providerId": "nowhere"},
    }


def test_a_missing_file_in_a_supported_space_is_not_found(onedata: Onedata) -> None:
    missing = file_objectid("0123456789abcdef0123456789abcdefch0000", SPACE)
    response = onedata.post(
        {"type": "replication", "replicatingProviderId": KRAKOW, "dataSourceType": "file", "fileId": missing}
    )
    assert response.status_code == 404
    assert error_of(response)["id"] == "notFound"


def test_a_view_missing_on_the_target_is_view_not_exists_on(onedata: Onedata) -> None:
    body = {"type": "replication", "replicatingProviderId": LISBON, "dataSourceType": "view"}
    response = onedata.post({**body, "spaceId": SPACE, "viewName": "MyImages"})
    assert response.status_code == 400
    assert error_of(response)["details"] == {"providerId": LISBON}


def test_a_view_transfer_takes_the_files_its_query_returns(onedata: Onedata) -> None:
    # Reference 6: non-existent files are ignored; the view's files only are transferred.
    body = {"type": "replication", "replicatingProviderId": KRAKOW, "dataSourceType": "view"}
    response = onedata.post(
        {**body, "spaceId": SPACE, "viewName": "MyImages", "queryViewParams": {"limit": 5}}
    )
    assert response.status_code == 201, response.text
    document = onedata.run_until_ended(response.json()["transferId"])
    assert (document["filesToProcess"], document["filesReplicated"]) == (2, 2)
    assert document["viewName"] == "MyImages" and document["queryViewParams"] == {"limit": 5}
    assert "fileId" not in document and "filePath" not in document


def test_unknown_paths_and_methods_answer_in_the_error_format(onedata: Onedata) -> None:
    response = onedata.client.get(f"{API}/no-such-thing", headers=onedata.headers())
    assert response.status_code == 404 and error_of(response)["id"] == "notFound"
    response = onedata.client.put(f"{API}/transfers", headers=onedata.headers())
    assert response.status_code == 405 and "error" in response.json()


def test_more_data_than_the_targets_support_is_posix_enospc(
    emulator_factory: Callable[..., Emulator],
) -> None:
    # Reference 1.1, create step: "file larger than the target's support: `enospc`".
    small = SCENARIO.replace(f"{KRAKOW}: {{}}", f"{KRAKOW}: {{size: {2 * MiB}}}")
    assert small != SCENARIO
    onedata = Onedata(emulator_factory(scenario_text=small))
    body = {"type": "replication", "replicatingProviderId": KRAKOW, "dataSourceType": "file"}
    response = onedata.post({**body, "fileId": onedata.file_id("data")})  # 3 MiB to move
    assert (response.status_code, error_of(response)["details"]) == (400, {"errno": "enospc"})
    assert onedata.post({**body, "fileId": onedata.file_id("data/b.bin")}).status_code == 201


def test_view_query_parameters_select_the_rows_and_are_echoed_sanitized(onedata: Onedata) -> None:
    # Reference 6: JSON values accepted directly, false booleans dropped, unknown keys ignored.
    body = {"type": "replication", "replicatingProviderId": KRAKOW, "dataSourceType": "view"}
    params = {"descending": True, "limit": 1, "inclusive_end": False, "colour": "red", "stale": "ok"}
    response = onedata.post({**body, "spaceId": SPACE, "viewName": "MyImages", "queryViewParams": params})
    assert response.status_code == 201, response.text
    document = onedata.run_until_ended(response.json()["transferId"])
    assert document["queryViewParams"] == {"descending": True, "limit": 1, "stale": "ok"}
    # The view returns b.bin, a missing file, a.bin; descending with limit 1 leaves a.bin.
    assert (document["filesToProcess"], document["bytesReplicated"]) == (1, MiB)


def test_bad_view_query_parameters_get_their_error_ids(onedata: Onedata) -> None:
    body = {"type": "replication", "replicatingProviderId": KRAKOW, "dataSourceType": "view"}
    body |= {"spaceId": SPACE, "viewName": "MyImages"}
    for params, error_id in (
        ({"limit": 0}, "badValueTooLow"),
        ({"skip": "2"}, "badValueInteger"),
        ({"descending": "yes"}, "badValueBoolean"),
        ({"stale": "never"}, "badValueNotAllowed"),
        ([1, 2], "badValueJSON"),
    ):
        response = onedata.post({**body, "queryViewParams": params})
        assert (response.status_code, error_of(response)["id"]) == (400, error_id), params
