"""The Onedata Oneprovider transfers emulator held to `specs/onedata.yaml`.

The spec transcribes the "Create transfer" and "Get transfer status" pages and, from the reference,
cancel, rerun and the space's transfer list. Every response a test receives is checked against what
its operation declares for that status (an undeclared status fails; a declared body must validate
against its closed schema). The world is the default scenario's Onedata part on a manual clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from contract import Contract

from emulators.onedata.file_id import file_objectid
from emulators.testing import Emulator

CONTRACT = Contract("onedata")
SPEC = CONTRACT.spec
BASE = CONTRACT.base
TRANSFERS = "/transfers"
TRANSFER = "/transfers/{tid}"
RERUN = "/transfers/{tid}/rerun"
LIST = "/spaces/{sid}/transfers"
LOOKUP = "/lookup-file-id/{path}"
CONFIGURATION = "/configuration"
SPACE_PATH = "/spaces/{sid}"
ATTRS = "/data/{id}"
DISTRIBUTION = "/data/{id}/distribution"
CHILDREN = "/data/{id}/children"
TOKEN_SCOPE = "/tokens/infer_access_token_scope"
ONEZONE = SPEC["paths"][TOKEN_SCOPE]["servers"][0]["url"]
COVERAGE = CONTRACT.coverage

SPACE = "6ec1a5413b6f4e2b01a5c85a8fd797e2"
KRAKOW = "5f8a2c4e9b1d3f7a6c0e2b4d8f1a3c5ech7d21"
LISBON = "9c3e1a7b5d2f4a6c8e0b1d3f5a7c9e2bch4b8e"
PARIS = "2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1cch93a0"
AUTH = {"X-Auth-Token": "onedata-dev-token"}
ENDED = ("completed", "failed", "cancelled", "skipped")

pytestmark = pytest.mark.emulator(
    scenario_text='version: 1\nextends: default\nclock: {start: "2030-01-02T03:04:05Z"}\n'
)


@pytest.fixture(autouse=True)
def _track_coverage(request: pytest.FixtureRequest) -> Iterator[None]:
    yield from CONTRACT.tracking(request)


def call(
    emulator: Emulator,
    method: str,
    path: str,
    *,
    tid: str = "",
    json: Any = None,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    url = BASE + path.format(tid=tid, sid=SPACE)
    return emulator.client.request(
        method.upper(), url, json=json, params=params, headers=AUTH if headers is None else headers
    )


def file_id(emulator: Emulator, path: str) -> str:
    objectid = emulator.world.store_named("onedata").spaces[SPACE].objectid(path)  # type: ignore[attr-defined]
    assert objectid is not None
    return str(objectid)


def create(emulator: Emulator, body: dict[str, Any]) -> str:
    response = call(emulator, "post", TRANSFERS, json=body)
    document = CONTRACT.conforms(response, "post", TRANSFERS)
    assert response.status_code == 201, response.text
    location = response.headers["Location"]
    assert not CONTRACT.schema_errors("/components/headers/TransferLocation/schema", location)
    return str(document["transferId"])


def status(emulator: Emulator, tid: str) -> dict[str, Any]:
    response = call(emulator, "get", TRANSFER, tid=tid)
    document: dict[str, Any] = CONTRACT.conforms(response, "get", TRANSFER)
    assert response.status_code == 200
    return document


def run(emulator: Emulator, tid: str, step: float = 0.5) -> list[dict[str, Any]]:
    """Every status document read every `step` seconds until the transfer ends."""
    seen = [status(emulator, tid)]
    while seen[-1]["transferStatus"] not in ENDED:
        emulator.advance(step)
        seen.append(status(emulator, tid))
        assert len(seen) < 2000
    return seen


def test_the_docs_example_requests_are_accepted_and_every_status_conforms(emulator: Emulator) -> None:
    """Create transfer, "Example cURL requests" and the spec's two examples (file replication; view
    eviction); Get transfer status, "200": every document conforms while the transfers run."""
    replication = create(
        emulator,
        {
            "type": "replication",
            "replicatingProviderId": KRAKOW,
            "dataSourceType": "file",
            "fileId": file_id(emulator, "images"),
        },
    )
    eviction = create(
        emulator,
        {
            "type": "eviction",
            "evictingProviderId": LISBON,
            "dataSourceType": "view",
            "spaceId": SPACE,
            "viewName": "MyImages",
        },
    )
    seen = run(emulator, replication)
    assert seen[0]["transferStatus"] == "scheduled"
    assert {"enqueued", "replicating", "completed"} <= {d["transferStatus"] for d in seen}
    assert run(emulator, eviction)[-1]["transferStatus"] == "completed"


def test_a_migration_conforms_through_both_phases(emulator: Emulator) -> None:
    """Create transfer: "migration - replication followed by eviction"."""
    tid = create(
        emulator,
        {
            "type": "migration",
            "replicatingProviderId": KRAKOW,
            "evictingProviderId": LISBON,
            "dataSourceType": "file",
            "fileId": file_id(emulator, "Dir2/file3.txt"),
        },
    )
    seen = run(emulator, tid, 0.25)
    assert {"replicating", "completed"} <= {d["transferStatus"] for d in seen}
    assert (seen[-1]["replicationStatus"], seen[-1]["evictionStatus"]) == ("completed", "completed")
    assert (seen[-1]["filesReplicated"], seen[-1]["filesEvicted"]) == (1, 1)


def test_create_errors_conform(emulator: Emulator) -> None:
    """Create transfer, "400", "401", "403", "404": the error document and its ids."""
    bodies = [
        ({}, AUTH, 400),
        ({"type": "replication", "dataSourceType": "file", "replicatingProviderId": PARIS}, AUTH, 400),
        (
            {
                "type": "replication",
                "replicatingProviderId": KRAKOW,
                "dataSourceType": "file",
                "fileId": file_id(emulator, "images"),
            },
            {},
            401,
        ),
        (
            {
                "type": "replication",
                "replicatingProviderId": KRAKOW,
                "dataSourceType": "file",
                "fileId": file_id(emulator, "images"),
            },
            {"X-Auth-Token": "onedata-viewer-token"},
            403,
        ),
        (
            {
                "type": "replication",
                "replicatingProviderId": KRAKOW,
                "dataSourceType": "file",
                "fileId": file_objectid("00000000000000000000000000000000ch0000", SPACE),
            },
            AUTH,
            404,
        ),
    ]
    for body, headers, expected in bodies:
        response = call(emulator, "post", TRANSFERS, json=body, headers=headers)
        CONTRACT.conforms(response, "post", TRANSFERS)
        assert response.status_code == expected, response.text
    response = call(emulator, "post", TRANSFERS, json={}, headers={"X-Auth-Token": "not-a-token"})
    CONTRACT.conforms(response, "post", TRANSFERS)
    assert response.json()["error"]["details"]["authError"]["id"] == "tokenInvalid"


def test_status_errors_conform(emulator: Emulator) -> None:
    """Get transfer status, "403" and "404"; reference 1.2: no token is 401 before the lookup."""
    tid = create(
        emulator,
        {
            "type": "replication",
            "replicatingProviderId": KRAKOW,
            "dataSourceType": "file",
            "fileId": file_id(emulator, "images"),
        },
    )
    for headers, target, expected in (
        ({"X-Auth-Token": "onedata-outsider-token"}, tid, 403),
        (AUTH, "0123456789abcdef0123456789abcdefch0000", 404),
        ({}, tid, 401),
    ):
        response = call(emulator, "get", TRANSFER, tid=target, headers=headers)
        CONTRACT.conforms(response, "get", TRANSFER)
        assert response.status_code == expected


def test_cancel_and_rerun_conform(emulator: Emulator) -> None:
    """Reference 1.3 and 1.4: 204 then 400 transferAlreadyEnded; rerun 400 until ended, then 201."""
    tid = create(
        emulator,
        {
            "type": "replication",
            "replicatingProviderId": KRAKOW,
            "dataSourceType": "file",
            "fileId": file_id(emulator, "images"),
        },
    )
    response = call(emulator, "post", RERUN, tid=tid)
    CONTRACT.conforms(response, "post", RERUN)
    assert response.status_code == 400
    response = call(emulator, "delete", TRANSFER, tid=tid)
    CONTRACT.conforms(response, "delete", TRANSFER)
    assert response.status_code == 204
    emulator.advance(5)
    response = call(emulator, "delete", TRANSFER, tid=tid)
    CONTRACT.conforms(response, "delete", TRANSFER)
    assert response.status_code == 400
    response = call(emulator, "post", RERUN, tid=tid)
    document = CONTRACT.conforms(response, "post", RERUN)
    assert response.status_code == 201
    assert status(emulator, tid)["rerunId"] == document["transferId"]
    for method, path in (("delete", TRANSFER), ("post", RERUN)):
        for headers, expected in (
            ({}, 401),
            ({"X-Auth-Token": "onedata-outsider-token"}, 403),
        ):
            response = call(emulator, method, path, tid=tid, headers=headers)
            CONTRACT.conforms(response, method, path)
            assert response.status_code == expected
        response = call(emulator, method, path, tid="0123456789abcdef0123456789abcdefch0000")
        CONTRACT.conforms(response, method, path)
        assert response.status_code == 404


def test_the_transfer_list_conforms(emulator: Emulator) -> None:
    """Reference 1.5: pages of ids with the link-key token; its errors."""
    for _ in range(3):
        create(
            emulator,
            {
                "type": "replication",
                "replicatingProviderId": KRAKOW,
                "dataSourceType": "file",
                "fileId": file_id(emulator, "images"),
            },
        )
        emulator.advance(0.25)
    response = call(emulator, "get", LIST, params={"state": "waiting", "limit": 2})
    page = CONTRACT.conforms(response, "get", LIST)
    assert len(page["transfers"]) == 2 and page["nextPageToken"] is not None
    for params, headers, expected in (
        ({"state": "sometime"}, AUTH, 400),
        ({}, {}, 401),
        ({}, {"X-Auth-Token": "onedata-outsider-token"}, 403),
    ):
        response = call(emulator, "get", LIST, params=params, headers=headers)
        CONTRACT.conforms(response, "get", LIST)
        assert response.status_code == expected


def test_the_file_surface_conforms(emulator: Emulator) -> None:
    """Reference 5.2: lookup-file-id answers 200 {fileId}, 400 posix for a missing path, 401 without
    a token; /configuration answers without one. The id found is accepted by POST /transfers."""
    for path, headers, expected in (
        ("My Space 1/images", AUTH, 200),
        ("My Space 1/nothing", AUTH, 400),
        ("My Space 1/two%0Alines", AUTH, 400),  # the route takes the rest of the URL, newlines too
        ("My Space 1/images", {"X-Auth-Token": "onedata-outsider-token"}, 400),
        ("My Space 1/images", {}, 401),
    ):
        response = emulator.client.post(BASE + LOOKUP.format(path=path), headers=headers)
        CONTRACT.conforms(response, "post", LOOKUP)
        assert response.status_code == expected
        if expected == 200:
            found = response.json()["fileId"]
    body = {"type": "replication", "replicatingProviderId": KRAKOW, "dataSourceType": "file"}
    create(emulator, {**body, "fileId": found})
    response = emulator.client.get(BASE + CONFIGURATION)
    assert CONTRACT.conforms(response, "get", CONFIGURATION)["providerId"] == KRAKOW
    for headers, expected in ((AUTH, 200), ({}, 401), ({"X-Auth-Token": "onedata-outsider-token"}, 403)):
        response = call(emulator, "get", SPACE_PATH, headers=headers)
        CONTRACT.conforms(response, "get", SPACE_PATH)
        assert response.status_code == expected


def test_files_by_id_conform(emulator: Emulator) -> None:
    """Reference 5.1 and 5.2: attributes and distribution of a file, a directory and the space root
    (by space id), children of directories; a bad id, no token and an outsider's token."""
    outsider = {"X-Auth-Token": "onedata-outsider-token"}
    for target in (SPACE, file_id(emulator, "archive"), file_id(emulator, "archive/run-02")):
        response = emulator.client.get(BASE + CHILDREN.format(id=target), params={"limit": 7}, headers=AUTH)
        assert len(CONTRACT.conforms(response, "get", CHILDREN)["children"]) > 0
    for path in (ATTRS, DISTRIBUTION, CHILDREN):
        for target, headers, expected in (
            (file_id(emulator, "images" if path == CHILDREN else "images/cat.png"), AUTH, 200),
            (file_id(emulator, "archive/run-03"), AUTH, 200),
            (SPACE, AUTH, 200),
            ("not-a-space", AUTH, 400),
            (SPACE, {}, 401),
            (SPACE, outsider, 403),
        ):
            response = emulator.client.get(BASE + path.format(id=target), headers=headers)
            CONTRACT.conforms(response, "get", path)
            assert response.status_code == expected, response.text


def test_the_token_scope_conforms(emulator: Emulator) -> None:
    """Reference 5.2: Onezone's infer_access_token_scope, without an auth header."""
    response = emulator.client.post(ONEZONE + TOKEN_SCOPE, json={"token": "onedata-dev-token"})
    scope = CONTRACT.conforms(response, "post", TOKEN_SCOPE)["dataAccessScope"]
    assert set(scope["providers"]) == {KRAKOW, LISBON, PARIS}
    response = emulator.client.post(ONEZONE + TOKEN_SCOPE, json={"token": "forged"})
    CONTRACT.conforms(response, "post", TOKEN_SCOPE)
    assert response.status_code == 400


# --- every status the emulated operations document, exercised ---------------------------------

EXERCISES = {
    ("post", TRANSFERS, "201"): "test_the_docs_example_requests_are_accepted_and_every_status_conforms",
    ("post", TRANSFERS, "400"): "test_create_errors_conform",
    ("post", TRANSFERS, "401"): "test_create_errors_conform",
    ("post", TRANSFERS, "403"): "test_create_errors_conform",
    ("post", TRANSFERS, "404"): "test_create_errors_conform",
    ("get", TRANSFER, "200"): "test_the_docs_example_requests_are_accepted_and_every_status_conforms",
    ("get", TRANSFER, "401"): "test_status_errors_conform",
    ("get", TRANSFER, "403"): "test_status_errors_conform",
    ("get", TRANSFER, "404"): "test_status_errors_conform",
    ("delete", TRANSFER, "204"): "test_cancel_and_rerun_conform",
    ("delete", TRANSFER, "400"): "test_cancel_and_rerun_conform",
    ("delete", TRANSFER, "401"): "test_cancel_and_rerun_conform",
    ("delete", TRANSFER, "403"): "test_cancel_and_rerun_conform",
    ("delete", TRANSFER, "404"): "test_cancel_and_rerun_conform",
    ("post", RERUN, "201"): "test_cancel_and_rerun_conform",
    ("post", RERUN, "400"): "test_cancel_and_rerun_conform",
    ("post", RERUN, "401"): "test_cancel_and_rerun_conform",
    ("post", RERUN, "403"): "test_cancel_and_rerun_conform",
    ("post", RERUN, "404"): "test_cancel_and_rerun_conform",
    ("get", LIST, "200"): "test_the_transfer_list_conforms",
    ("get", LIST, "400"): "test_the_transfer_list_conforms",
    ("get", LIST, "401"): "test_the_transfer_list_conforms",
    ("get", LIST, "403"): "test_the_transfer_list_conforms",
    ("post", LOOKUP, "200"): "test_the_file_surface_conforms",
    ("post", LOOKUP, "400"): "test_the_file_surface_conforms",
    ("post", LOOKUP, "401"): "test_the_file_surface_conforms",
    ("get", CONFIGURATION, "200"): "test_the_file_surface_conforms",
    ("get", SPACE_PATH, "200"): "test_the_file_surface_conforms",
    ("get", SPACE_PATH, "401"): "test_the_file_surface_conforms",
    ("get", SPACE_PATH, "403"): "test_the_file_surface_conforms",
    ("get", ATTRS, "200"): "test_files_by_id_conform",
    ("get", ATTRS, "400"): "test_files_by_id_conform",
    ("get", ATTRS, "401"): "test_files_by_id_conform",
    ("get", ATTRS, "403"): "test_files_by_id_conform",
    ("get", DISTRIBUTION, "200"): "test_files_by_id_conform",
    ("get", DISTRIBUTION, "400"): "test_files_by_id_conform",
    ("get", DISTRIBUTION, "401"): "test_files_by_id_conform",
    ("get", DISTRIBUTION, "403"): "test_files_by_id_conform",
    ("get", CHILDREN, "200"): "test_files_by_id_conform",
    ("get", CHILDREN, "400"): "test_files_by_id_conform",
    ("get", CHILDREN, "401"): "test_files_by_id_conform",
    ("get", CHILDREN, "403"): "test_files_by_id_conform",
    ("post", TOKEN_SCOPE, "200"): "test_the_token_scope_conforms",
    ("post", TOKEN_SCOPE, "400"): "test_the_token_scope_conforms",
}
# Not exercised: 500s (the emulator has no internal failures to show), the status page's 400 (the
# reference names none for it), lookup's 403 (a space the user cannot see is enoent) and the space's
# 400 (the default's only space is supported by the answering provider), and the token scope's 401
# (a token that is not valid is a 400 there).
NOT_EXERCISED = {
    ("post", TRANSFERS, "500"),
    ("get", TRANSFER, "400"),
    ("get", TRANSFER, "500"),
    ("post", LOOKUP, "403"),
    ("get", SPACE_PATH, "400"),
    ("post", TOKEN_SCOPE, "401"),
}
EMULATED_PATHS = {
    TRANSFERS,
    TRANSFER,
    RERUN,
    LIST,
    LOOKUP,
    CONFIGURATION,
    SPACE_PATH,
    ATTRS,
    DISTRIBUTION,
    CHILDREN,
    TOKEN_SCOPE,
}


def test_every_documented_status_of_the_emulated_operations_is_exercised() -> None:
    """Each status the emulated operations declare is exercised by a named test above (checked
    against what those tests received, whenever they ran in this session)."""
    declared = {s for s in CONTRACT.declared_statuses() if s[1] in EMULATED_PATHS}
    assert set(EXERCISES) | NOT_EXERCISED == declared
    for (method, path, status_code), test_name in EXERCISES.items():
        assert callable(globals().get(test_name)), test_name
        if test_name in COVERAGE.ran:
            assert (test_name, method, path, status_code) in COVERAGE.exercised, (
                test_name,
                method,
                status_code,
            )
