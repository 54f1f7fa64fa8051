"""The Relativity Transfer Service v2 emulator held to the service's public API page.

The page is transcribed into `specs/relativity.yaml` (OpenAPI 3.1). Every response a test receives is
checked against what its operation declares for that status: an undeclared status fails, a declared
body must validate against its (closed) schema. Each test's docstring names the doc section it
enforces. Time is the emulator's manual clock, moved in the 10-second steps of the doc's statistics
refresh; the clock starts at a fixed instant so every run signs the same SAS URLs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from azure.storage.blob import generate_container_sas
from contract import Contract
from jsonschema import Draft202012Validator

from emulators.relativity.scenario import DEV_ACCOUNT, DEV_ACCOUNT_KEY
from emulators.testing import Emulator

# --- the spec ------------------------------------------------------------------------------------

CONTRACT = Contract("relativity")
SPEC = CONTRACT.spec
SPEC_TEXT = CONTRACT.text
BASE = SPEC["servers"][0]["url"]
JOBS = "/transfer/jobs"
JOB = "/transfer/jobs/{jobId}"
QC = "/transfer/jobs/{jobId}/qc"

SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
STAGES: list[dict[str, Any]] = SCHEMAS["GetJobResultv2"]["x-doc-stages"]
ENUMERATION_VALUES: list[str] = SCHEMAS["EnumerationStatistics"]["properties"]["status"]["x-doc-values"]
TRANSFER_VALUES: list[str] = SCHEMAS["GetJobResultv2"]["properties"]["transferStatus"]["x-doc-values"]
FINAL_TRANSFER_STATUSES = ("Completed", "Failed")

schema_errors = CONTRACT.schema_errors
component = CONTRACT.component
operation = CONTRACT.operation
declared_statuses = CONTRACT.declared_statuses
COVERAGE = CONTRACT.coverage


@pytest.fixture(autouse=True)
def _track_coverage(request: pytest.FixtureRequest) -> Iterator[None]:
    yield from CONTRACT.tracking(request)


def conforms(response: httpx.Response, method: str, path: str) -> Any:
    """Check a response against the spec's declaration for its status; return its JSON body or None."""
    return CONTRACT.conforms(response, method, path)


# --- talking to the emulator ---------------------------------------------------------------------

START = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
SCENARIO = f"""
version: 1
extends: default
clock: {{start: "{START.isoformat()}"}}
"""
pytestmark = pytest.mark.emulator(scenario_text=SCENARIO)

AUTH = {"Authorization": "Bearer relativity-dev-token"}
FILESHARE = "\\\\files.t001.ctus000001.r1.kcura.com\\T001"
STEP = 10  # doc, "Workflow": "Status updates approximately every 10 seconds."
MAX_STEPS = 120
EMPTY_ID = "00000000-0000-0000-0000-000000000000"
UNKNOWN_ID = "0d5e7a9c-1b2f-4c3d-8e4f-5a6b7c8d9e0f"
CORRELATION_ID = "c0ffee00-1234-4abc-8def-0123456789ab"


def sas_url(container: str, expiry: datetime, permission: str = "rl") -> str:
    sas = generate_container_sas(
        DEV_ACCOUNT, container, account_key=DEV_ACCOUNT_KEY, permission=permission, expiry=expiry
    )
    return f"https://{DEV_ACCOUNT}.blob.core.windows.net/{container}?{sas}"


def request_body(emulator: Emulator, job_id: str, container: str = "small") -> dict[str, Any]:
    """A CreateTransferRequestv2 that meets every documented requirement."""
    return {
        "transferJobID": job_id,
        "sourcePath": sas_url(container, emulator.world.clock.now() + timedelta(days=8)),
        "destinationPath": f"{FILESHARE}\\StructuredData\\Contract-{job_id[:8]}",
        "tags": {"matter": "contract", "container": container},
    }


def api(
    emulator: Emulator,
    method: str,
    path: str,
    job_id: str | None = None,
    *,
    json: Any = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    url = BASE + (path.format(jobId=job_id) if job_id is not None else path)
    return emulator.client.request(method.upper(), url, json=json, headers={**AUTH, **(headers or {})})


def create_job(emulator: Emulator, job_id: str, container: str = "small") -> dict[str, Any]:
    """POST a request that meets the doc; it must be accepted (200)."""
    body = request_body(emulator, job_id, container)
    assert not schema_errors(component("CreateTransferRequestv2"), body)
    response = api(emulator, "post", JOBS, json=body)
    conforms(response, "post", JOBS)
    assert response.status_code == 200, response.text
    return body


def get_job(emulator: Emulator, job_id: str) -> dict[str, Any]:
    response = api(emulator, "get", JOB, job_id)
    body: dict[str, Any] = conforms(response, "get", JOB)
    return body


def stage(job: dict[str, Any]) -> tuple[str, str]:
    return job["enumerationStatistics"]["status"], job["transferStatus"]


def is_documented_stage(enumeration: str, transfer: str) -> bool:
    """Whether (EnumerationStatistics.Status, TransferStatus) is one of the doc's six stages."""
    return any(s["enumeration"] == enumeration and s["transfer"] in (None, transfer) for s in STAGES)


def run_until_finished(emulator: Emulator, job_id: str) -> dict[str, Any]:
    for _ in range(MAX_STEPS):
        job = get_job(emulator, job_id)
        if job["transferStatus"] in FINAL_TRANSFER_STATUSES:
            return job
        emulator.control.advance(STEP)
    pytest.fail(f"job {job_id} did not finish within {MAX_STEPS * STEP} virtual seconds")


# --- the spec itself -----------------------------------------------------------------------------


def _nullable(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return (isinstance(kind, list) and "null" in kind) or any(
        s.get("type") == "null" for s in schema.get("anyOf", [])
    )


def test_spec_is_a_faithful_closed_transcription() -> None:
    """Doc, "API endpoints": four operations under /transfer-service/api/v2, bearer JWT; the tables
    "GetJobResultv2", "TransferStatistics", "EnumerationStatistics", "GetTokenResult" (Nullable
    column → `required`) and the 400 body; "EnumerationStatistics" says `italicize` where the example
    says `totalSize`, and the spec follows the example."""
    assert SPEC["openapi"].startswith("3.1")
    assert BASE == "/transfer-service/api/v2"
    assert SPEC["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert {(m, p) for m, p, _ in declared_statuses()} == {
        ("post", JOBS),
        ("get", JOB),
        ("delete", JOB),
        ("get", QC),
    }
    for name, schema in SCHEMAS.items():
        Draft202012Validator.check_schema(schema)
        if name == "CreateTransferRequestv2":
            continue  # a request: the doc does not say unknown fields are refused
        assert schema["additionalProperties"] is False, name
        for prop, sub in schema["properties"].items():
            assert (prop in schema.get("required", [])) != _nullable(sub), f"{name}.{prop}"
    assert set(SCHEMAS["CreateTransferRequestv2"]["required"]) == {
        "destinationPath",
        "sourcePath",
        "transferJobID",
    }
    enumeration = SCHEMAS["EnumerationStatistics"]["properties"]
    assert "totalSize" in enumeration
    assert "italicize" not in enumeration
    assert "italicize" in SPEC_TEXT  # the contradiction is recorded next to the schema
    assert ENUMERATION_VALUES == ["queued", "inprogress", "failed", "completed"]
    assert [s["enumeration"] for s in STAGES] == [
        "queued",
        "inprogress",
        "failed",
        "completed",
        "completed",
        "completed",
    ]
    correlation = SPEC["components"]["parameters"]["correlationId"]
    assert (correlation["in"], correlation["required"], correlation["schema"]["format"]) == (
        "header",
        False,
        "uuid",
    )


# --- the job lifecycle ---------------------------------------------------------------------------


def test_job_walks_the_documented_stages(emulator: Emulator) -> None:
    """Doc, "Workflow" and "Job stages": POST queues the job; GET shows EnumerationStatistics.Status
    going queued → inprogress → completed, with TransferStatus InProgress while enumeration is in
    progress and during data validation, then Completed ("All enumerated files were transferred");
    "To access the QC report, EnumerationStatistics.Status must be completed and TransferStatus must
    be either Failed or Completed" (GET .../qc is 404 before that)."""
    job_id = "5b0c9f0e-1d7a-4c53-9a62-0f4e2a7b8c10"
    create_job(emulator, job_id, "files-10k")
    observed: list[tuple[str, str]] = []
    for _ in range(MAX_STEPS):
        job = get_job(emulator, job_id)
        enumeration, transfer = stage(job)
        assert enumeration in ENUMERATION_VALUES, job
        assert is_documented_stage(enumeration, transfer), job
        observed.append((enumeration, transfer))
        qc = api(emulator, "get", QC, job_id)
        conforms(qc, "get", QC)
        if transfer not in FINAL_TRANSFER_STATUSES:
            assert qc.status_code == 404, f"QC report offered at stage {enumeration}/{transfer}"
        if (enumeration, transfer) == ("completed", "Completed"):
            break
        emulator.control.advance(STEP)
    else:
        pytest.fail(f"no Completed status within {MAX_STEPS * STEP} virtual seconds: {observed[-3:]}")

    assert observed[0][0] == "queued", "a successful POST queues the copy job"
    collapsed = [e for i, (e, _) in enumerate(observed) if i == 0 or observed[i - 1][0] != e]
    assert collapsed == ["queued", "inprogress", "completed"], observed
    assert [ENUMERATION_VALUES.index(e) for e in collapsed] == sorted(
        ENUMERATION_VALUES.index(e) for e in collapsed
    )
    assert {t for e, t in observed if e == "inprogress"} == {"InProgress"}
    assert {t for e, t in observed if e != "queued"} <= set(TRANSFER_VALUES)
    assert ("completed", "InProgress") in observed, "no data validation stage was seen"
    stats, totals = job["transferStatistics"], job["enumerationStatistics"]
    assert stats["successfulFiles"] == totals["totalFiles"] == 10_000
    assert stats["failedFiles"] == 0
    assert stats["successfulBytes"] == totals["totalSize"]


def test_job_is_an_azure_to_r1_transfer(emulator: Emulator) -> None:
    """Doc, "How to start Azure to R1 transfer" and the GetJobResultv2 example
    (`"transferType": "AzureToR1"`): the job reports its id, its tags and the Azure to R1 type."""
    job_id = "0a4f3e2d-1c0b-4a99-8877-665544332211"
    body = create_job(emulator, job_id)
    for _ in range(3):
        job = get_job(emulator, job_id)
        assert job["transferType"] == "AzureToR1"
        assert job["transferJobID"] == job_id
        assert job["tags"] == body["tags"]
        emulator.control.advance(STEP)


def test_qc_report_is_404_until_ready_then_a_sas_url(emulator: Emulator) -> None:
    """Doc, "How to get QC report" and "GET v2/transfer/jobs/{jobId}/qc": 404 "the QC report has not
    been generated yet"; once ready, 200 with GetTokenResult `{sasUrl}` (a SAS URL for downloading
    the report), only for a job whose enumeration is completed and TransferStatus Completed/Failed."""
    job_id = "7c1d2e3f-4a5b-4c6d-9e7f-8091a2b3c4d5"
    create_job(emulator, job_id)
    misses = 0
    for _ in range(MAX_STEPS):
        response = api(emulator, "get", QC, job_id)
        report = conforms(response, "get", QC)
        if response.status_code == 200:
            break
        misses += 1
        emulator.control.advance(STEP)
    else:
        pytest.fail(f"no QC report within {MAX_STEPS * STEP} virtual seconds")
    assert misses > 0, "the QC report was ready before the job had finished"
    enumeration, transfer = stage(get_job(emulator, job_id))
    assert enumeration == "completed"
    assert transfer in FINAL_TRANSFER_STATUSES
    url = urlsplit(report["sasUrl"])
    assert url.scheme in ("http", "https")
    assert url.netloc
    assert "sig" in dict(parse_qsl(url.query))


# --- DELETE --------------------------------------------------------------------------------------


def test_delete_cancels_a_running_job_once(emulator: Emulator) -> None:
    """Doc, "DELETE v2/transfer/jobs/{job_id}": 200 "cancels the job. Response body is empty."; 400
    with the `{statusCode, title, message}` body when "The job is already cancelled"."""
    job_id = "1e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b"
    create_job(emulator, job_id, "files-10k")
    emulator.control.advance(STEP)
    assert stage(get_job(emulator, job_id)) == ("inprogress", "InProgress")

    first = api(emulator, "delete", JOB, job_id)
    conforms(first, "delete", JOB)
    assert first.status_code == 200
    assert first.content == b""

    again = api(emulator, "delete", JOB, job_id)
    error = conforms(again, "delete", JOB)
    assert again.status_code == 400
    assert error["statusCode"] == 400
    get_job(emulator, job_id)  # a cancelled job still reads as a GetJobResultv2


def test_delete_refuses_a_finished_job(emulator: Emulator) -> None:
    """Doc, "DELETE v2/transfer/jobs/{job_id}": 400 when "The job is already finished"."""
    job_id = "2f3e4d5c-6b7a-4899-8a1b-2c3d4e5f6a7b"
    create_job(emulator, job_id)
    assert run_until_finished(emulator, job_id)["transferStatus"] == "Completed"
    response = api(emulator, "delete", JOB, job_id)
    error = conforms(response, "delete", JOB)
    assert response.status_code == 400
    assert error["statusCode"] == 400


def test_delete_refuses_the_empty_job_id(emulator: Emulator) -> None:
    """Doc, "DELETE v2/transfer/jobs/{job_id}": 400 when "jobId is empty
    (00000000-0000-0000-0000-000000000000)"."""
    response = api(emulator, "delete", JOB, EMPTY_ID)
    error = conforms(response, "delete", JOB)
    assert response.status_code == 400
    assert error["statusCode"] == 400


OTHER_TYPE_JOB = "3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d"
OTHER_TYPE_SCENARIO = (
    SCENARIO
    + f"""
services:
  relativity:
    jobs:
      - transferJobID: "{OTHER_TYPE_JOB}"
        sourcePath: "{sas_url("small", START + timedelta(days=8))}"
        destinationPath: '{FILESHARE}\\StructuredData\\Preset'
        transferType: R1ToR1
"""
)


@pytest.mark.emulator(scenario_text=OTHER_TYPE_SCENARIO)
def test_delete_refuses_a_job_that_is_not_a_cloud_transfer(emulator: Emulator) -> None:
    """Doc, "DELETE v2/transfer/jobs/{job_id}": 400 when "The job is not a Cloud transfer job" (a job
    of another transfer type that the scenario sets up, neither finished nor cancelled)."""
    job = get_job(emulator, OTHER_TYPE_JOB)
    assert job["transferType"] != "AzureToR1"
    assert job["transferStatus"] not in FINAL_TRANSFER_STATUSES
    response = api(emulator, "delete", JOB, OTHER_TYPE_JOB)
    error = conforms(response, "delete", JOB)
    assert response.status_code == 400
    assert error["statusCode"] == 400


def test_delete_rules_are_the_documented_ones() -> None:
    """Doc, "DELETE v2/transfer/jobs/{job_id}": the four 400 conditions the DELETE tests above cover."""
    assert operation("delete", JOB)["responses"]["400"]["x-doc"]["says"] == [
        "jobId is empty (00000000-0000-0000-0000-000000000000)",
        "The job is not a Cloud transfer job",
        "The job is already finished",
        "The job is already cancelled",
    ]


def test_unknown_job_is_not_found(emulator: Emulator) -> None:
    """Doc, "DELETE v2/transfer/jobs/{job_id}": 404 "the job does not exist"; "GET .../qc": 404. The
    doc lists only 200 for GET v2/transfer/jobs/{jobId}; an unknown job is held to the same 404."""
    response = api(emulator, "delete", JOB, UNKNOWN_ID)
    conforms(response, "delete", JOB)
    assert response.status_code == 404
    response = api(emulator, "get", QC, UNKNOWN_ID)
    conforms(response, "get", QC)
    assert response.status_code == 404
    response = api(emulator, "get", JOB, UNKNOWN_ID)
    conforms(response, "get", JOB)
    assert response.status_code == 404


def test_ids_that_are_no_uuid_are_refused(emulator: Emulator) -> None:
    """Doc, parameter tables: jobId and correlation-id are `uuid`; the doc lists no answer for one
    that is not (read as ASP.NET's 400 for a parameter that does not bind, in the error body)."""
    for path in (JOB, QC):
        response = api(emulator, "get", path, "not-a-uuid")
        conforms(response, "get", path)
        assert response.status_code == 400
    response = api(emulator, "get", QC, UNKNOWN_ID, headers={"correlation-id": "nope"})
    conforms(response, "get", QC)
    assert response.status_code == 400


# --- POST 400 ------------------------------------------------------------------------------------


def _drop(name: str) -> Callable[[dict[str, Any], datetime], None]:
    def mutate(body: dict[str, Any], now: datetime) -> None:
        del body[name]

    return mutate


def _set(name: str, value: Callable[[datetime], str]) -> Callable[[dict[str, Any], datetime], None]:
    def mutate(body: dict[str, Any], now: datetime) -> None:
        body[name] = value(now)

    return mutate


def _without_sig(body: dict[str, Any], now: datetime) -> None:
    parts = urlsplit(body["sourcePath"])
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "sig"])
    body["sourcePath"] = urlunsplit(parts._replace(query=query))


REQUIRED = "required: [destinationPath, sourcePath, transferJobID]"


@pytest.mark.parametrize(
    ("mutate", "cites"),
    [
        pytest.param(_drop("transferJobID"), REQUIRED, id="missing-transferJobID"),
        pytest.param(_drop("sourcePath"), REQUIRED, id="missing-sourcePath"),
        pytest.param(_drop("destinationPath"), REQUIRED, id="missing-destinationPath"),
        pytest.param(
            _set("transferJobID", lambda now: EMPTY_ID),
            "jobId is empty (00000000-0000-0000-0000-000000000000)",
            id="transferJobID-all-zero",
        ),
        pytest.param(
            _set("transferJobID", lambda now: "job-42"), "format: uuid", id="transferJobID-not-uuid"
        ),
        pytest.param(_without_sig, "valid SAS Url token", id="sourcePath-without-sig"),
        pytest.param(
            _set("sourcePath", lambda now: sas_url("small", now + timedelta(days=8), "r")),
            "Token has to be provided with List and Read permissions.",
            id="sas-read-only",
        ),
        pytest.param(
            _set("sourcePath", lambda now: sas_url("small", now + timedelta(days=2))),
            "Token lifetime should be at least 7 days",
            id="sas-expires-in-2-days",
        ),
        pytest.param(
            _set("destinationPath", lambda now: f"{FILESHARE}\\Files\\Contract"),
            "Relativity fileshare format",
            id="destination-outside-staging",
        ),
    ],
)
def test_post_refuses_a_bad_request(
    emulator: Emulator, mutate: Callable[[dict[str, Any], datetime], None], cites: str
) -> None:
    """Doc, "POST v2/transfer/jobs" (400 body `{statusCode, title, message}`), "CreateTransferRequestv2"
    (transferJobID uuid, sourcePath and destinationPath not nullable; destinationPath in "Relativity
    fileshare format", i.e. under a writable staging folder of the fileshare) and "Source
    requirements" (a valid SAS URL, List and Read, lifetime at least 7 days). `cites` is the rule as
    the spec records it."""
    assert cites in SPEC_TEXT
    job_id = "4b5c6d7e-8f9a-4b0c-9d1e-2f3a4b5c6d7e"
    body = request_body(emulator, job_id)
    mutate(body, emulator.world.clock.now())
    response = api(emulator, "post", JOBS, json=body)
    error = conforms(response, "post", JOBS)
    assert response.status_code == 400
    assert error["statusCode"] == 400
    assert api(emulator, "get", JOB, job_id).status_code == 404, "a refused request must queue nothing"


def test_post_refuses_a_body_that_is_not_json_typed(emulator: Emulator) -> None:
    """Not in the doc: the service runs on ASP.NET Core, whose JSON input formatter reads only the
    media types the service's swagger lists (application/json, text/json, application/*+json)."""
    job_id = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
    content = json.dumps(request_body(emulator, job_id))
    headers = {**AUTH, "Content-Type": "text/plain"}
    response = emulator.client.post(BASE + JOBS, content=content, headers=headers)
    error = conforms(response, "post", JOBS)
    assert error["statusCode"] == 415
    assert api(emulator, "get", JOB, job_id).status_code == 404, "a refused request must queue nothing"


# --- headers -------------------------------------------------------------------------------------


def test_correlation_id_is_echoed(emulator: Emulator) -> None:
    """Doc, "Parameters" (correlation-id | header | string | uuid | not required): every operation
    accepts the header, and its successful answers carry it back."""
    header = {"correlation-id": CORRELATION_ID}
    finished, running = "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f", "6d7e8f9a-0b1c-4d2e-9f3a-4b5c6d7e8f9a"
    posted = api(emulator, "post", JOBS, json=request_body(emulator, finished), headers=header)
    create_job(emulator, running, "files-10k")
    answers = [(posted, "post", JOBS)]
    answers.append((api(emulator, "get", JOB, finished, headers=header), "get", JOB))
    emulator.control.advance(STEP)
    answers.append((api(emulator, "delete", JOB, running, headers=header), "delete", JOB))
    run_until_finished(emulator, finished)
    for _ in range(MAX_STEPS):
        qc = api(emulator, "get", QC, finished, headers=header)
        if qc.status_code == 200:
            break
        emulator.control.advance(STEP)
    answers.append((qc, "get", QC))

    for answer, method, path in answers:
        conforms(answer, method, path)
        assert answer.status_code == 200, answer.text
        assert answer.headers.get("correlation-id") == CORRELATION_ID, answer.request.url


def test_requests_without_a_valid_bearer_token_are_refused(emulator: Emulator) -> None:
    """Doc, "Authentication": "All endpoints require Bearer JWT authentication"; the refusal is 401,
    the Relativity REST status for a missing or invalid Authorization header."""
    body = request_body(emulator, "7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b")
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        calls = [
            emulator.client.post(BASE + JOBS, json=body, headers=headers),
            emulator.client.get(BASE + JOB.format(jobId=UNKNOWN_ID), headers=headers),
            emulator.client.delete(BASE + JOB.format(jobId=UNKNOWN_ID), headers=headers),
            emulator.client.get(BASE + QC.format(jobId=UNKNOWN_ID), headers=headers),
        ]
        assert [r.status_code for r in calls] == [401, 401, 401, 401]


# --- every documented status, exercised ---------------------------------------------------------

EXERCISES = {
    ("post", JOBS, "200"): "test_job_walks_the_documented_stages",
    ("post", JOBS, "400"): "test_post_refuses_a_bad_request",
    ("post", JOBS, "415"): "test_post_refuses_a_body_that_is_not_json_typed",
    ("get", JOB, "200"): "test_job_walks_the_documented_stages",
    ("get", JOB, "400"): "test_ids_that_are_no_uuid_are_refused",
    ("get", JOB, "404"): "test_unknown_job_is_not_found",
    ("delete", JOB, "200"): "test_delete_cancels_a_running_job_once",
    ("delete", JOB, "400"): "test_delete_cancels_a_running_job_once",
    ("delete", JOB, "404"): "test_unknown_job_is_not_found",
    ("get", QC, "200"): "test_qc_report_is_404_until_ready_then_a_sas_url",
    ("get", QC, "400"): "test_ids_that_are_no_uuid_are_refused",
    ("get", QC, "404"): "test_qc_report_is_404_until_ready_then_a_sas_url",
}


def test_every_documented_status_is_exercised() -> None:
    """Doc, "API endpoints": each status each operation documents is exercised by a named test above
    (checked against what those tests actually received, whenever they ran in this session)."""
    assert set(EXERCISES) == declared_statuses()
    for (method, path, status), test_name in EXERCISES.items():
        assert callable(globals().get(test_name)), test_name
        if test_name in COVERAGE.ran:
            assert (test_name, method, path, status) in COVERAGE.exercised, (test_name, method, status)
