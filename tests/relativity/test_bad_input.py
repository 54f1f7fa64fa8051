"""Bad requests get the documented 400 body, never a 500, and nothing already accepted is lost."""

from __future__ import annotations

import json
import uuid

import pytest
from conftest import API, DESTINATION, Relativity
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ERROR_KEYS = {"statusCode", "title", "message"}


def _assert_400(response, fragment: str = "") -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS and body["statusCode"] == 400 and body["title"] == "Bad Request"
    assert fragment in body["message"]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "non-empty"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b'"text"', "JSON object"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[" * 100_000, "not valid JSON"),
    ],
)
def test_a_body_that_is_not_a_json_object(relativity: Relativity, content: bytes, fragment: str):
    response = relativity.client.post(
        API, content=content, headers={**relativity.headers(), "Content-Type": "application/json"}
    )
    _assert_400(response, fragment)


@pytest.mark.parametrize("field", ["tags", "sourcePath"])
def test_an_unpaired_surrogate_is_refused_and_nothing_is_stored(relativity: Relativity, field: str):
    job_id = str(uuid.uuid4())
    body = {
        "transferJobID": job_id,
        "sourcePath": relativity.sas_url("small"),
        "destinationPath": DESTINATION,
    }
    if field == "tags":
        body["tags"] = {"matter": "x\ud800"}
    else:
        body["sourcePath"] = body["sourcePath"].replace("?", "/x\ud800y?")
    content = json.dumps(body).encode()  # ensure_ascii: the surrogate travels as a \ud800 escape
    headers = {**relativity.headers(), "Content-Type": "application/json"}
    response = relativity.client.post(API, content=content, headers=headers)
    _assert_400(response, "not valid JSON")
    assert relativity.get(job_id).status_code == 404
    assert relativity.emulator.control.state()["services"]["relativity"]["jobs"] == {}


def test_a_ten_megabyte_body(relativity: Relativity):
    body = {
        "transferJobID": str(uuid.uuid4()),
        "sourcePath": "x" * 10_000_000,
        "destinationPath": DESTINATION,
    }
    _assert_400(relativity.post(body), "larger than")


@pytest.mark.parametrize("missing", ["transferJobID", "sourcePath", "destinationPath"])
def test_a_missing_field(relativity: Relativity, missing: str):
    body = {
        "transferJobID": str(uuid.uuid4()),
        "sourcePath": relativity.sas_url("small"),
        "destinationPath": DESTINATION,
    }
    del body[missing]
    _assert_400(relativity.post(body), f"The {missing} field is required.")


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("transferJobID", 42, "uuid"),
        ("transferJobID", "not-a-uuid", "not a valid uuid"),
        ("transferJobID", "00000000-0000-0000-0000-000000000000", "must not be empty"),
        ("sourcePath", ["a"], "must be a string"),
        ("destinationPath", {"a": 1}, "must be a string"),
        ("destinationPath", "/mnt/share", "destinationPath"),
        ("destinationPath", r"\\files.t001.ctus000001.r1.kcura.com\T001\Temp\x", "staging folder"),
        ("tags", ["a"], "tags"),
        ("tags", {"a": 1}, "tags"),
        ("transferType", "S3ToR1", "transferType"),
    ],
)
def test_a_wrong_field(relativity: Relativity, field: str, value: object, fragment: str):
    body = {
        "transferJobID": str(uuid.uuid4()),
        "sourcePath": relativity.sas_url("small"),
        "destinationPath": DESTINATION,
        field: value,
    }
    _assert_400(relativity.post(body), fragment)


def test_field_names_are_matched_case_insensitively(relativity: Relativity):
    job_id = str(uuid.uuid4())
    body = {
        "TransferJobId": job_id,
        "SourcePath": relativity.sas_url("small"),
        "DestinationPath": DESTINATION,
    }
    assert relativity.post(body).status_code == 200
    assert relativity.status(job_id)["transferJobID"] == job_id


def test_a_reused_job_id_is_refused_and_the_first_job_is_kept(relativity: Relativity):
    job_id = relativity.create("small", tags={"first": "yes"})
    again = {
        "transferJobID": job_id,
        "sourcePath": relativity.sas_url("files-10k"),
        "destinationPath": DESTINATION,
    }
    _assert_400(relativity.post(again), "already exists")
    assert relativity.status(job_id)["tags"] == {"first": "yes"}


@pytest.mark.parametrize("job_id", ["not-a-uuid", "1234", "00000000-0000-0000-0000-00000000000g"])
def test_a_job_id_in_the_path_must_be_a_uuid(relativity: Relativity, job_id: str):
    _assert_400(relativity.get(job_id), "uuid")


def test_a_bad_correlation_id_is_refused_and_a_good_one_echoed(relativity: Relativity):
    job_id = relativity.create()
    headers = relativity.headers()
    bad = relativity.client.get(f"{API}/{job_id}", headers={**headers, "correlation-id": "abc"})
    _assert_400(bad, "correlation-id")
    cid = str(uuid.uuid4())
    good = relativity.client.get(f"{API}/{job_id}", headers={**headers, "correlation-id": cid})
    assert good.headers["correlation-id"] == cid


def test_unknown_paths_and_methods_answer_in_the_service_format(relativity: Relativity):
    missing = relativity.client.get("/transfer-service/api/v2/nothing", headers=relativity.headers())
    assert missing.status_code == 404 and set(missing.json()) == ERROR_KEYS
    wrong = relativity.client.put(API, headers=relativity.headers())
    assert wrong.status_code == 405 and set(wrong.json()) == ERROR_KEYS


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "transferJobID": st.uuids().map(str) | json_values,
        "sourcePath": st.text(max_size=80) | json_values,
        "destinationPath": st.just(DESTINATION) | st.text(max_size=80),
        "tags": json_values,
        "transferType": json_values,
    },
)


@settings(
    max_examples=150,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(document=documents | json_values)
def test_any_document_gets_a_documented_answer(relativity: Relativity, document: object):
    response = relativity.client.post(
        API,
        content=json.dumps(document),
        headers={**relativity.headers(), "Content-Type": "application/json"},
    )
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert set(response.json()) == ERROR_KEYS


def test_a_405_lists_every_allowed_method(relativity: Relativity):
    response = relativity.client.put(f"{API}/{uuid.uuid4()}", headers=relativity.headers())
    assert response.status_code == 405
    assert response.headers["Allow"] == "DELETE, GET, HEAD"


def test_without_a_token_a_bad_correlation_id_is_still_a_401(relativity: Relativity):
    response = relativity.client.get(f"{API}/{uuid.uuid4()}", headers={"correlation-id": "abc"})
    assert response.status_code == 401


def test_errors_carry_the_correlation_id_back(relativity: Relativity):
    cid = str(uuid.uuid4())
    response = relativity.client.get(
        f"{API}/{uuid.uuid4()}", headers={**relativity.headers(), "correlation-id": cid}
    )
    assert response.status_code == 404
    assert response.headers["correlation-id"] == cid


def test_nan_is_not_json(relativity: Relativity):
    response = relativity.client.post(
        API,
        content=b'{"transferJobID": NaN}',
        headers={**relativity.headers(), "Content-Type": "application/json"},
    )
    _assert_400(response, "not valid JSON")
