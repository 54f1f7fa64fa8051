"""The documented endpoints of the Relativity Transfer Service v2, and the token and report URLs.

Each handler: check the bearer token → read the document → `world.catch_up()` → call the job state
machine → render. Errors are raised (`RelativityError`) and rendered once, in `app.py`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.core.host import public_url, world_of
from emulators.core.http import read_json_object
from emulators.core.tokens import ClientCredentials, token_endpoint
from emulators.relativity import auth, qc
from emulators.relativity.blob import azure_error, blob_response
from emulators.relativity.errors import RelativityError, bad_request, not_found
from emulators.relativity.jobs import TransferJob, create_job
from emulators.relativity.models import (
    CORRELATION_HEADER,
    EMPTY_JOB_ID,
    CreateTransferRequest,
    parse_bound_id,
)
from emulators.relativity.scenario import User
from emulators.relativity.store import RelativityStore

# The swagger's request media types for CreateTransferRequestV2 (reference, A1).
JSON_MEDIA_TYPES = re.compile(r"application/json|text/json|application/[^/;\s]+\+json", re.IGNORECASE)


def _store(request: Request) -> RelativityStore:
    return world_of(request).store(RelativityStore)


def _correlation(request: Request) -> dict[str, str]:
    if CORRELATION_HEADER not in request.headers:  # the usual case; `in` scans without raising
        return {}
    value = request.headers[CORRELATION_HEADER]
    parse_bound_id(value, CORRELATION_HEADER)
    return {CORRELATION_HEADER: value}


def _authenticated(request: Request) -> tuple[RelativityStore, User, datetime]:
    store = _store(request)
    now = store.world.catch_up()
    user = auth.authenticate(store, request.headers.get("authorization"), now)
    return store, user, now


def _job(store: RelativityStore, request: Request) -> TransferJob:
    raw = request.path_params["job_id"]
    # Ids are stored in canonical form, so a canonical id from the path needs no parsing.
    job = store.jobs.get(raw) or store.jobs.get(parse_bound_id(raw, "jobId"))
    if job is None:
        raise not_found()
    return job


def _check_json_media_type(request: Request) -> None:
    """ASP.NET's JSON input formatter reads only JSON media types; anything else (or none) is a 415."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip()
    if not JSON_MEDIA_TYPES.fullmatch(media_type):
        raise RelativityError(415, "The request body must be JSON (Content-Type: application/json).")


async def create_transfer_job(request: Request) -> Response:
    """POST v2/transfer/jobs — register and queue a copy job (200, empty body)."""
    store, user, _ = _authenticated(request)
    headers = _correlation(request)
    _check_json_media_type(request)
    document = CreateTransferRequest.parse(await read_json_object(request))
    create_job(store, document, user, store.world.catch_up())
    return Response(status_code=200, headers=headers)


async def get_transfer_job(request: Request) -> Response:
    """GET v2/transfer/jobs/{jobId} — GetJobResultv2 as of the last statistics refresh."""
    store, _, now = _authenticated(request)
    headers = _correlation(request)
    return Response(_job(store, request).document_json(now), media_type="application/json", headers=headers)


async def cancel_transfer_job(request: Request) -> Response:
    """DELETE v2/transfer/jobs/{jobId} — cancel an in-progress Cloud transfer job."""
    store, _, now = _authenticated(request)
    headers = _correlation(request)
    if parse_bound_id(request.path_params["job_id"], "jobId") == EMPTY_JOB_ID:
        raise bad_request("The jobId must not be empty (00000000-0000-0000-0000-000000000000).")
    _job(store, request).cancel(now)
    return Response(status_code=200, headers=headers)


async def get_qc_report(request: Request) -> Response:
    """GET v2/transfer/jobs/{jobId}/qc — a SAS URL of the QC report, 404 until it is ready."""
    store, _, now = _authenticated(request)
    headers = _correlation(request)
    job = _job(store, request)
    if not job.qc_ready(now):
        raise not_found("The QC report has not been generated yet.")
    origin = public_url(request)  # never the request's Host header: a link must not point elsewhere
    return JSONResponse({"sasUrl": qc.report_url(store, job, origin, now)}, headers=headers)


async def download_qc_report(request: Request) -> Response:
    """The report blob behind a QC SAS URL, served the way Azure serves a blob (see `blob`)."""
    store = _store(request)
    now = store.world.catch_up()
    job_id = request.path_params["job_id"]
    problem = qc.check_report_url(store, job_id, request.query_params, now)
    job = store.jobs.get(job_id)
    if problem is None and (job is None or not job.qc_ready(now)):
        problem = "BlobNotFound"
    if problem is not None or job is None:
        return azure_error(problem or "BlobNotFound")
    disposition = {"Content-Disposition": f"attachment; filename={qc.REPORT_NAME}"}
    # The first read generates the report (seconds for a million rows): off the event loop.
    blob = await run_in_threadpool(qc.report_blob, store, job)
    return blob_response(blob, request.method, request.headers, disposition)


def _issue_token(request: Request, credentials: ClientCredentials) -> dict[str, Any]:
    """POST /Relativity/Identity/connect/token — client-credentials bearer tokens."""
    store = _store(request)
    return auth.issue_token(store, credentials, store.world.catch_up())


def _any_case(route: Route) -> Route:
    """ASP.NET Core matches route templates case-insensitively: `.../QC` is the QC route."""
    route.path_regex = re.compile(route.path_regex.pattern, re.IGNORECASE)
    return route


API_ROUTES = [
    # The status read first: it is what pollers call, and the router tries routes in order.
    _any_case(
        Route("/api/v2/transfer/jobs/{job_id}", get_transfer_job, methods=["GET"], name="get_transfer_job")
    ),
    _any_case(
        Route("/api/v2/transfer/jobs", create_transfer_job, methods=["POST"], name="create_transfer_job")
    ),
    _any_case(
        Route(
            "/api/v2/transfer/jobs/{job_id}",
            cancel_transfer_job,
            methods=["DELETE"],
            name="cancel_transfer_job",
        )
    ),
    _any_case(
        Route("/api/v2/transfer/jobs/{job_id}/qc", get_qc_report, methods=["GET"], name="get_qc_report")
    ),
    # A blob URL: Azure blob names are case-sensitive.
    Route(
        f"/{qc.REPORT_CONTAINER}/{{job_id}}/{qc.REPORT_NAME}",
        download_qc_report,
        methods=["GET", "HEAD"],
        name="download_qc_report",
    ),
]
IDENTITY_ROUTES = [
    _any_case(Route("/connect/token", token_endpoint(_issue_token), methods=["POST"], name="connect_token")),
]
