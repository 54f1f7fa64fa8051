"""Endpoints and file operations: GET /endpoint, ls, mkdir, rename, stat; guest collections; error formats."""

from __future__ import annotations

import json
import uuid

import pytest
from globus_helpers import LAB, SCRATCH, SHARED, Globus, globus, with_trees
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.requests import Request

from emulators.core.service import ErrorAnswer
from emulators.globus.app import _render_error

__all__ = ["globus"]


def ls_body(globus: Globus, endpoint: str = LAB, **params) -> dict:
    return dict(globus.ok(globus.get(f"/operation/endpoint/{endpoint}/ls", params=params)))


def test_get_endpoint_describes_mapped_and_guest_collections(globus: Globus):
    lab = globus.ok(globus.get(f"/endpoint/{LAB}"))
    assert (lab["DATA_TYPE"], lab["id"], lab["display_name"]) == ("endpoint", LAB, "Lab Storage")
    assert (lab["entity_type"], lab["host_endpoint_id"], lab["activated"]) == (
        "GCSv5_mapped_collection",
        None,
        True,
    )
    shared = globus.ok(globus.get(f"/endpoint/{SHARED}"))
    assert (shared["entity_type"], shared["host_endpoint_id"], shared["host_path"]) == (
        "GCSv5_guest_collection",
        LAB,
        "/share/",
    )
    globus.error(globus.get(f"/endpoint/{uuid.uuid4()}"), 404, "EndpointNotFound")
    # Reference 6: the endpoint document's fields, with `DATA: [server docs]`.
    shown = {"DATA", "gcs_manager_url", "non_functional_endpoint_id", "non_functional_endpoint_display_name"}
    assert shown <= set(lab)
    assert (lab["DATA"], lab["non_functional_endpoint_id"]) == ([], None)


def test_ls_lists_a_directory_with_the_documented_document(globus: Globus):
    body = ls_body(globus, path="/~/experiments")
    assert (body["DATA_TYPE"], body["endpoint"], body["path"]) == ("file_list", LAB, "/~/experiments/")
    assert body["length"] == body["total"] == 4
    run = next(e for e in body["DATA"] if e["name"] == "run-001")
    assert (run["DATA_TYPE"], run["type"], run["permissions"]) == ("file", "dir", "0755")
    cache = next(e for e in body["DATA"] if e["name"] == ".cache")
    assert (cache["type"], cache["size"]) == ("file", 64)
    assert len(cache["last_modified"]) == 25 and cache["last_modified"][10] == " "


def test_ls_defaults_to_the_home_directory(globus: Globus):
    names = [e["name"] for e in ls_body(globus)["DATA"]]
    assert names == ["empty", "experiments", "instrument"]


def test_ls_hides_dot_files_on_request(globus: Globus):
    assert ".cache" not in globus.ls("/~/experiments/", endpoint=LAB, show_hidden=0)
    assert ".cache" in globus.ls("/~/experiments/", endpoint=LAB, show_hidden=1)


def test_ls_repeated_filters_are_ored_and_clauses_anded(globus: Globus):
    params = [("path", "/~/experiments/run-001/"), ("filter", "type:dir"), ("filter", "name:~*.csv")]
    body = globus.ok(globus.get(f"/operation/endpoint/{LAB}/ls", params=params))
    assert [e["name"] for e in body["DATA"]] == ["notes", "summary.csv"]
    assert globus.ls("/~/experiments/run-001/", endpoint=LAB, filter="name:!~*.csv/type:file") == [
        "reads.fastq"
    ]
    assert globus.ls("/~/experiments/run-001/", endpoint=LAB, filter="name:summary.csv") == ["summary.csv"]
    assert globus.ls("/~/experiments/run-001/", endpoint=LAB, filter="name:!summary.csv") == [
        "notes",
        "reads.fastq",
    ]
    assert globus.ls("/~/experiments/run-001/", endpoint=LAB, filter="size:2000,3000") == ["summary.csv"]


def test_ls_name_operators_and_time_ranges(globus: Globus):
    path = "/~/experiments/run-001/"
    assert globus.ls(path, endpoint=LAB, filter="name:=summary.csv") == ["summary.csv"]
    assert globus.ls(path, endpoint=LAB, filter="name:=summary.csv,notes") == ["notes", "summary.csv"]
    assert globus.ls(path, endpoint=LAB, filter="name:~*.CSV") == [], "patterns are case-sensitive"
    assert globus.ls(path, endpoint=LAB, filter="last_modified:2000-01-01 00:00:00,") == [
        "notes",
        "reads.fastq",
        "summary.csv",
    ]
    assert globus.ls(path, endpoint=LAB, filter="last_modified:,2000-01-01 00:00:00") == []
    assert globus.ls(path, endpoint=LAB, filter="type:file") == ["reads.fastq", "summary.csv"]


def test_ls_orders_and_pages(globus: Globus):
    path = "/~/experiments/run-001/"
    assert globus.ls(path, endpoint=LAB, orderby="name DESC") == ["summary.csv", "reads.fastq", "notes"]
    assert globus.ls(path, endpoint=LAB, orderby="type,size DESC") == ["notes", "reads.fastq", "summary.csv"]
    page = ls_body(globus, path=path, limit=1, offset=1)
    assert ([e["name"] for e in page["DATA"]], page["length"], page["total"]) == (["reads.fastq"], 1, 3)


def test_ls_lists_a_large_generated_set_a_group_at_a_time(globus: Globus):
    assert len(globus.ls("/~/instrument/", endpoint=LAB)) == 10
    assert len(globus.ls("/~/instrument/day-003/", endpoint=LAB)) == 1000


def test_ls_of_a_symlink_shows_its_target(globus: Globus):
    latest = next(e for e in ls_body(globus, path="/~/experiments/")["DATA"] if e["name"] == "latest")
    assert (latest["type"], latest["link_target"]) == ("dir", "run-002")
    assert globus.ls("/~/experiments/latest/", endpoint=LAB) == ["reads.fastq"]


def test_ls_errors(globus: Globus):
    globus.error(
        globus.get(f"/operation/endpoint/{LAB}/ls", params={"path": "/nowhere/"}), 404, "ClientError.NotFound"
    )
    response = globus.get(
        f"/operation/endpoint/{LAB}/ls", params={"path": "/~/experiments/run-001/summary.csv"}
    )
    globus.error(response, 502, "ExternalError.DirListingFailed.NotDirectory")
    denied = globus.get(f"/operation/endpoint/{SCRATCH}/ls", token="globus-colleague-token")
    globus.error(denied, 403, "EndpointPermissionDenied")
    bad = globus.get(f"/operation/endpoint/{LAB}/ls", params={"filter": "colour:red"})
    globus.error(bad, 400, "ClientError.BadRequest")
    globus.error(
        globus.get(f"/operation/endpoint/{LAB}/ls", params={"limit": "x"}), 400, "ClientError.BadRequest"
    )


LISTING_FAULTS = """
extends: default
services:
  globus:
    data_faults:
      - {match: "*/experiments/run-002", error: GC_NOT_CONNECTED, stage: enumeration}
      - {match: "*/experiments/run-001", error: PERMISSION_DENIED, stage: enumeration}
      - {match: "*/experiments/run-001/*", error: CONNECT_FAILED}
"""


@pytest.mark.emulator(scenario_text=LISTING_FAULTS)
def test_an_enumeration_data_fault_makes_the_endpoint_refuse_a_listing(globus: Globus):
    path = f"/operation/endpoint/{LAB}/ls"
    body = globus.error(
        globus.get(path, params={"path": "/~/experiments/run-002/"}),
        502,
        "ExternalError.DirListingFailed.GCDisconnected",
    )
    assert body["resource"] == path
    globus.error(
        globus.get(path, params={"path": "/~/experiments/run-001"}),
        502,
        "ExternalError.DirListingFailed.PermissionDenied",
    )
    assert globus.ls("/~/experiments/run-001/notes/", endpoint=LAB) == ["readme.txt"], (
        "transfer faults do not"
    )
    assert "run-002" in globus.ls("/~/experiments/", endpoint=LAB)


def test_mkdir_creates_a_directory_and_refuses_an_existing_one(globus: Globus):
    body = globus.ok(
        globus.post(f"/operation/endpoint/{SCRATCH}/mkdir", {"DATA_TYPE": "mkdir", "path": "/~/new"})
    )
    assert (body["DATA_TYPE"], body["code"]) == ("mkdir_result", "DirectoryCreated")
    assert body["resource"] == f"/operation/endpoint/{SCRATCH}/mkdir"
    assert "new" in globus.ls("/~/", endpoint=SCRATCH)
    again = globus.post(f"/operation/endpoint/{SCRATCH}/mkdir", {"DATA_TYPE": "mkdir", "path": "/~/new"})
    globus.error(again, 502, "ExternalError.MkdirFailed.Exists")
    orphan = globus.post(
        f"/operation/endpoint/{SCRATCH}/mkdir", {"DATA_TYPE": "mkdir", "path": "/no/such/dir"}
    )
    message = globus.error(orphan, 502, "ExternalError.MkdirFailed.PermissionDenied")["message"]
    assert message.startswith(f"Error (mkdir)\nEndpoint: HPC Scratch ({SCRATCH})\nFile: /no/such/dir\n")
    assert "Command: MKD /no/such/dir\n" in message and "No such file or directory" in message
    read_only = globus.post(
        f"/operation/endpoint/{LAB}/mkdir", {"path": "/x"}, token="globus-colleague-token"
    )
    globus.error(read_only, 403, "EndpointPermissionDenied")
    globus.error(
        globus.post(f"/operation/endpoint/{SCRATCH}/mkdir", {"DATA_TYPE": "mkdir"}),
        400,
        "ClientError.BadRequest",
    )


def test_rename_moves_files_and_directories(globus: Globus):
    body = globus.ok(
        globus.post(
            f"/operation/endpoint/{LAB}/rename",
            {"DATA_TYPE": "rename", "old_path": "/~/experiments/run-001", "new_path": "/~/experiments/first"},
        )
    )
    assert (body["DATA_TYPE"], body["code"]) == ("result", "FileRenamed")
    assert globus.ls("/~/experiments/first/", endpoint=LAB) == ["notes", "reads.fastq", "summary.csv"]
    assert "run-001" not in globus.ls("/~/experiments/", endpoint=LAB)
    missing = {"DATA_TYPE": "rename", "old_path": "/~/nothing", "new_path": "/~/else"}
    globus.error(globus.post(f"/operation/endpoint/{LAB}/rename", missing), 404, "ClientError.NotFound")
    taken = {"DATA_TYPE": "rename", "old_path": "/~/experiments/first", "new_path": "/~/experiments/run-002"}
    globus.error(
        globus.post(f"/operation/endpoint/{LAB}/rename", taken), 502, "ExternalError.RenameFailed.Exists"
    )
    orphan = {"DATA_TYPE": "rename", "old_path": "/~/experiments/first", "new_path": "/~/no/such/place"}
    globus.error(globus.post(f"/operation/endpoint/{LAB}/rename", orphan), 502, "ExternalError.RenameFailed")
    assert "first" in globus.ls("/~/experiments/", endpoint=LAB)


def test_stat_returns_one_file_document(globus: Globus):
    body = globus.ok(
        globus.get(f"/operation/endpoint/{LAB}/stat", params={"path": "/~/experiments/run-001/summary.csv"})
    )
    assert (body["DATA_TYPE"], body["name"], body["type"], body["size"]) == (
        "file",
        "summary.csv",
        "file",
        2048,
    )
    missing = globus.get(f"/operation/endpoint/{LAB}/stat", params={"path": "/~/nope"})
    assert globus.error(missing, 404, "NotFound")["message"].startswith("Path not found")


def test_a_guest_collection_shows_its_host_path_and_shares_its_files(globus: Globus):
    assert globus.ls("/", endpoint=SHARED) == ["public"]
    globus.ok(
        globus.post(
            f"/operation/endpoint/{SHARED}/mkdir",
            {"DATA_TYPE": "mkdir", "path": "/drop"},
            token="globus-colleague-token",
        )
    )
    assert globus.ls("/share/", endpoint=LAB) == ["drop", "public"]
    assert globus.ls("/../../", endpoint=SHARED) == ["drop", "public"], "a guest cannot climb above its root"


def test_unknown_paths_and_methods_get_the_globus_error_document(globus: Globus):
    body = globus.error(globus.get("/no/such/thing"), 404, "ClientError.NotFound")
    assert body["resource"] == "/no/such/thing"
    globus.error(
        globus.client.delete(f"/v0.10/task/{uuid.uuid4()}", headers=globus.headers()),
        405,
        "ClientError.BadMethod",
    )
    globus.error(globus.client.get("/v2/oauth2/nothing"), 404, "ClientError.NotFound")


def test_an_unexpected_exception_is_a_json_500_in_the_globus_format():
    scope = {"type": "http", "method": "GET", "path": "/v0.10/task_list", "headers": [], "query_string": b""}
    response = _render_error(Request(scope), ErrorAnswer("server_error", 500, None))
    assert (response.status_code, response.media_type) == (500, "application/json")
    body = json.loads(bytes(response.body))
    assert (body["code"], body["resource"]) == ("ServerError.InternalError", "/task_list")
    assert set(body) == {"code", "message", "request_id", "resource"}


@pytest.mark.parametrize(
    ("form", "auth", "status", "error"),
    [
        (
            {"grant_type": "client_credentials"},
            ("3f6a1c2e-5b4d-4e8f-a7c9-0d1e2f3a4b5c", "wrong"),
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "password"},
            ("3f6a1c2e-5b4d-4e8f-a7c9-0d1e2f3a4b5c", "globus-cli-secret"),
            400,
            "unsupported_grant_type",
        ),
        (
            {"grant_type": "client_credentials", "scope": "openid"},
            ("3f6a1c2e-5b4d-4e8f-a7c9-0d1e2f3a4b5c", "globus-cli-secret"),
            400,
            "invalid_scope",
        ),
    ],
)
def test_the_token_endpoint_refuses_bad_requests(globus: Globus, form, auth, status, error):
    response = globus.client.post("/v2/oauth2/token", data=form, auth=auth)
    assert response.status_code == status
    assert response.json()["error"] == error


def test_the_token_endpoint_issues_a_working_transfer_token(globus: Globus):
    response = globus.client.post(
        "/v2/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "scope": "urn:globus:auth:scope:transfer.api.globus.org:all",
        },
        auth=("3f6a1c2e-5b4d-4e8f-a7c9-0d1e2f3a4b5c", "globus-cli-secret"),
    )
    token = response.json()
    assert (token["resource_server"], token["token_type"], token["expires_in"]) == (
        "transfer.api.globus.org",
        "Bearer",
        172800,
    )
    assert globus.get("/submission_id", token=token["access_token"]).status_code == 200
    globus.advance(172800)
    globus.error(
        globus.get("/submission_id", token=token["access_token"]), 401, "ClientError.AuthenticationFailed"
    )


QUERY_TEXT = st.sampled_from(
    [
        "",
        "0",
        "1",
        "-1",
        "x",
        "name:",
        "name:~*",
        "type:dir,file",
        "size:1,",
        ":",
        "/",
        "label:!~",
        "status:ACTIVE",
        "request_time:,",
        "name DESC",
        "a,b",
        "%",
        "1000001",
    ]
)


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    target=st.sampled_from(["/task_list", f"/operation/endpoint/{LAB}/ls", "/endpoint_search"]),
    params=st.dictionaries(
        st.sampled_from(
            [
                "limit",
                "offset",
                "filter",
                "orderby",
                "fields",
                "show_hidden",
                "filter_scope",
                "filter_fulltext",
            ]
        ),
        QUERY_TEXT,
        max_size=4,
    ),
    path=st.sampled_from(["/~/", "/~/experiments/", "/nope/", "", "/"]),
)
def test_no_query_makes_the_emulator_answer_5xx(globus: Globus, target, params, path):
    response = globus.get(target, params={**params, "path": path})
    assert response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/json"


ODD_ENTRIES = with_trees(
    lab="""
    - {path: d/empty.txt, size: 0}
    - {path: d/big.txt, size: 50}
    - {path: d/broken, type: symlink, target: /nowhere}
    - {path: d/.hidden, size: 1}
""",
)


@pytest.mark.emulator(scenario_text=ODD_ENTRIES)
def test_ls_orders_by_size_with_empty_files_and_invalid_symlinks(globus: Globus):
    ordered = ls_body(globus, path="/d/", orderby="size")["DATA"]
    sizes = [e["size"] for e in ordered]
    assert sizes == sorted(sizes) and {e["name"] for e in ordered} >= {"empty.txt", "broken"}
    assert globus.ls("/d/", endpoint=LAB, orderby="size DESC")[0] == "big.txt"


@pytest.mark.parametrize(
    "value", ["last_modified:0001-01-01T00:00:00+01:00,", "last_modified:,9999-12-31T23:59:59-05:00"]
)
def test_an_ls_time_filter_outside_the_representable_range_is_400(globus: Globus, value):
    response = globus.get(f"/operation/endpoint/{LAB}/ls", params={"path": "/~/", "filter": value})
    globus.error(response, 400, "ClientError.BadRequest")


@pytest.mark.emulator(scenario_text=ODD_ENTRIES)
@pytest.mark.parametrize(("value", "hidden"), [("0", False), ("1", True), ("false", False), ("no", False)])
def test_show_hidden_reads_like_a_boolean(globus: Globus, value, hidden):
    assert (".hidden" in globus.ls("/d/", endpoint=LAB, show_hidden=value)) == hidden


def test_show_hidden_that_is_no_boolean_is_400(globus: Globus):
    response = globus.get(f"/operation/endpoint/{LAB}/ls", params={"show_hidden": "perhaps"})
    globus.error(response, 400, "ClientError.BadRequest")


@pytest.mark.parametrize("path", ["/~/bad\x00name", "/~/tab\there", "/~/bell\x07"])
def test_mkdir_and_rename_refuse_control_characters_like_transfer_paths(globus: Globus, path):
    mkdir = globus.post(f"/operation/endpoint/{SCRATCH}/mkdir", {"DATA_TYPE": "mkdir", "path": path})
    assert "control character" in globus.error(mkdir, 400, "ClientError.BadRequest")["message"]
    rename = {"DATA_TYPE": "rename", "old_path": "/~/previous", "new_path": path}
    globus.error(globus.post(f"/operation/endpoint/{SCRATCH}/rename", rename), 400, "ClientError.BadRequest")
    assert "previous" in globus.ls("/~/", endpoint=SCRATCH)


def test_stat_of_the_root_is_named_slash(globus: Globus):
    body = globus.ok(globus.get(f"/operation/endpoint/{LAB}/stat", params={"path": "/"}))
    assert (body["name"], body["type"]) == ("/", "dir")
    guest = globus.ok(globus.get(f"/operation/endpoint/{SHARED}/stat", params={"path": "/"}))
    assert guest["name"] == "/"


def test_fields_cut_down_ls_stat_endpoint_and_search_documents(globus: Globus):
    """Reference 5 (`fields`, a common query parameter): the documents carry only the fields named
    (and DATA_TYPE); in a list, each document in DATA does."""
    listing = globus.ok(
        globus.get(f"/operation/endpoint/{LAB}/ls", params={"path": "/~/", "fields": "name,type"})
    )
    assert listing["DATA"] and all(set(d) == {"DATA_TYPE", "name", "type"} for d in listing["DATA"])
    assert listing["DATA_TYPE"] == "file_list" and "total" in listing
    stat = globus.ok(globus.get(f"/operation/endpoint/{LAB}/stat", params={"path": "/~/", "fields": "size"}))
    assert stat == {"DATA_TYPE": "file", "size": 4096}
    endpoint = globus.ok(globus.get(f"/endpoint/{LAB}", params={"fields": "id,display_name"}))
    assert endpoint == {"DATA_TYPE": "endpoint", "id": LAB, "display_name": "Lab Storage"}
    found = globus.ok(globus.get("/endpoint_search", params={"filter_fulltext": "scratch", "fields": "id"}))
    assert found["DATA"] == [{"DATA_TYPE": "endpoint", "id": SCRATCH}]
