"""The documented endpoints of the Amove Web API: authentication, API tokens, cloud accounts and
transfers, and the failed-files CSV behind the signed links `download_failed_files` hands out.

Each handler: find the caller (JWT) → read the document → `world.catch_up()` → call the state
machine → render. Errors are raised and rendered once, in `app.py`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.amove import auth, cloudaccounts, progress, reports
from emulators.amove.listing import integer, page_of, page_request
from emulators.amove.models import TransferRequest, api_token_document, cloud_account_document
from emulators.amove.store import AmoveStore, User
from emulators.amove.transfers import (
    ALL_TYPES,
    CREATED,
    AmoveTransfer,
    check_role,
    cost,
    owned,
    retry_selection,
    select,
)
from emulators.core.host import public_url, world_of
from emulators.core.http import read_body, read_json_object
from emulators.core.tokens import TokenRejected, find_token

FAILED_FILES_PATH = "/api/v1/transfer/failed_files/{transfer_id}.csv"


def _store(request: Request) -> AmoveStore:
    return world_of(request).store(AmoveStore)


def _caller(request: Request) -> tuple[AmoveStore, User, datetime]:
    """The store, the user behind the JWT (`Authorization: Bearer`, or `access_token` as hubs take
    it) and now; 401 without a body otherwise."""
    store = _store(request)
    now = store.world.catch_up()
    try:
        found = find_token(request.scope, ["bearer", "access_token"])
    except TokenRejected:
        found = None
    return store, auth.user_of(store, found[1] if found else None, now), now


def _empty() -> Response:
    return Response(status_code=200)


# -- Authentication API (reference, B1) -------------------------------------------------------------


async def request_token(request: Request) -> Response:
    """POST /api/authentication/request_token — a one-shot JSON string, 60 s."""
    await read_body(request)
    store = _store(request)
    return JSONResponse(auth.request_token(store, store.world.catch_up()))


async def login(request: Request) -> Response:
    """POST /api/authentication/login — `{challenge, jwtToken, session}`."""
    body = await read_json_object(request)
    store = _store(request)
    return JSONResponse(auth.login(store, body, store.world.catch_up()))


async def mfa_respond(request: Request) -> Response:
    """POST /api/authentication/mfa_respond — the JWT for a session and its TOTP code."""
    body = await read_json_object(request)
    store = _store(request)
    return JSONResponse(auth.mfa_respond(store, body, store.world.catch_up()))


async def logout(request: Request) -> Response:
    """POST /api/authentication/logout — the JWT's session ends."""
    body = await read_json_object(request)
    store = _store(request)
    auth.logout(store, body, store.world.catch_up())
    return _empty()


async def forgot_password(request: Request) -> Response:
    """POST /api/authentication/forgot_password — always 200."""
    body = await read_json_object(request)
    store = _store(request)
    auth.forgot_password(store, body, store.world.catch_up())
    return _empty()


async def reset_password(request: Request) -> Response:
    """POST /api/authentication/reset_password — a new password with a reset token."""
    body = await read_json_object(request)
    store = _store(request)
    auth.reset_password(store, body, store.world.catch_up())
    return _empty()


# -- API tokens (reference, B1) ---------------------------------------------------------------------


async def insert_api_token(request: Request) -> Response:
    """POST /api/v1/apitoken/insert — a long-lived JWT."""
    store, user, now = _caller(request)
    token = auth.insert_api_token(store, user, await read_json_object(request), now)
    return JSONResponse(api_token_document(token))


async def get_all_api_tokens(request: Request) -> Response:
    """GET /api/v1/apitoken/get_all — the caller's API tokens, newest first: Amove's API-token page
    gives it the paging parameters (sortfield `CreateDate`) and answers a bare array, one page."""
    store, user, _ = _caller(request)
    paging = page_request(request.query_params, "CreateDate", True)
    tokens = [api_token_document(t) for t in reversed(store.api_tokens.values()) if t.user_id == user.id]
    return JSONResponse(page_of(tokens, paging)["data"])


async def delete_api_token(request: Request) -> Response:
    """DELETE /api/v1/apitoken/delete?id= — the token gets 401 from now on."""
    store, user, _ = _caller(request)
    auth.delete_api_token(store, user, request.query_params.get("id"))
    return _empty()


# -- Cloud accounts (reference, B3) -----------------------------------------------------------------


async def get_all_cloud_accounts(request: Request) -> Response:
    """GET /api/v1/cloudaccount/get_all — a DTOCollection, credentials masked."""
    store, user, _ = _caller(request)
    records = [cloud_account_document(c) for c in cloudaccounts.visible(store, user)]
    return JSONResponse(page_of(records, page_request(request.query_params, "Name", False)))


async def insert_cloud_account(request: Request) -> Response:
    """POST /api/v1/cloudaccount/insert — the new account, masked."""
    store, user, _ = _caller(request)
    cloud = cloudaccounts.insert(store, user, await read_json_object(request))
    return JSONResponse(cloud_account_document(cloud))


async def manage_share(request: Request) -> Response:
    """PUT /api/v1/cloudaccount/manage_share — 200, empty."""
    store, user, _ = _caller(request)
    cloudaccounts.manage_share(store, user, await read_json_object(request))
    return _empty()


async def delete_cloud_account(request: Request) -> Response:
    """DELETE /api/v1/cloudaccount/delete?id= — `true` (a soft delete)."""
    store, user, _ = _caller(request)
    cloudaccounts.delete(store, user, request.query_params.get("id"))
    return JSONResponse(True)


async def list_buckets(request: Request) -> Response:
    """POST /api/v1/cloudaccount/list_buckets — the account's buckets."""
    store, user, now = _caller(request)
    body = await read_json_object(request)
    cloud = cloudaccounts.find(store, user, body.get("cloudAccountId"), "cloudAccountId")
    include = body.get("includeRegion", True)
    return JSONResponse(cloudaccounts.list_buckets(cloud, include is not False, now))


async def list_objects(request: Request) -> Response:
    """POST /api/v1/cloudaccount/list_objects — one page of a folder, continuationToken paging."""
    store, user, now = _caller(request)
    return JSONResponse(cloudaccounts.list_objects(store, user, await read_json_object(request), now))


# -- Transfers (doc, "Transfer Endpoints") ----------------------------------------------------------


async def get_all_transfers(request: Request) -> Response:
    """GET /api/v1/transfer/get_all — every transfer of the account but those still Created."""
    store, user, now = _caller(request)
    query = request.query_params
    paging = page_request(query, "RequestDate", True)
    types = integer(query, "type", ALL_TYPES, 0)
    records = [
        t.record(now)
        for t in store.transfers.values()
        if t.account_id == user.account_id and t.status(now) != CREATED
    ]
    records = [r for r in records if r["transferType"] & types]
    return JSONResponse(page_of(records, paging))


async def transfer(request: Request) -> Response:
    """POST /api/v1/transfer/transfer — queue a transfer (200, no body)."""
    store, user, now = _caller(request)
    check_role(user)
    document = TransferRequest.parse(await read_json_object(request))
    selection = select(store, user, document, now)
    _queue(store, AmoveTransfer(store, store.world.ids.uuid(), user, document, selection, now))
    return _empty()


def _queue(store: AmoveStore, new: AmoveTransfer) -> None:
    store.transfers[new.id] = new
    progress.track(store, new)


async def calculate_cost(request: Request) -> Response:
    """POST /api/v1/transfer/calculate_cost — a bare decimal, USD."""
    store, user, now = _caller(request)
    document = TransferRequest.parse(await read_json_object(request))
    return JSONResponse(cost(store, select(store, user, document, now)))


async def cancel_transfer(request: Request) -> Response:
    """POST /api/v1/transfer/cancel_transfer — Running → Canceling → Canceled."""
    store, user, now = _caller(request)
    body = await read_json_object(request)
    target = owned(store, user, body.get("id"))
    target.cancel(now)
    progress.canceled(store, target, now)
    return _empty()


async def retry_transfer(request: Request) -> Response:
    """POST /api/v1/transfer/retry_transfer — a new transfer over the failed objects only."""
    store, user, now = _caller(request)
    check_role(user)
    body = await read_json_object(request)
    original = owned(store, user, body.get("id"))
    selection = retry_selection(original, now)
    retry = AmoveTransfer(
        store, store.world.ids.uuid(), user, original.request, selection, now, original.id, apply_faults=False
    )
    _queue(store, retry)
    return _empty()


async def download_failed_files(request: Request) -> Response:
    """POST /api/v1/transfer/download_failed_files — a short-lived signed URL (a JSON string)."""
    store, user, now = _caller(request)
    body = await read_json_object(request)
    target = owned(store, user, body.get("id"))
    path = FAILED_FILES_PATH.format(transfer_id=target.id)
    expires = now + timedelta(seconds=store.section.behaviour.failed_files_link_ttl)
    return JSONResponse(f"{public_url(request)}{path}?{store.world.links.sign(path, expires)}")


async def failed_files(request: Request) -> Response:
    """The CSV behind a signed link (not an Amove route: the real service links to its storage)."""
    store = _store(request)
    now = store.world.catch_up()
    path = FAILED_FILES_PATH.format(transfer_id=request.path_params["transfer_id"])
    verdict = store.world.links.verify(path, request.query_params, now)
    target = store.transfers.get(request.path_params["transfer_id"])
    if verdict != "valid" or target is None:
        return reports.refusal("Request has expired" if verdict == "expired" else "Access Denied")
    return reports.csv_response(target, now, request)


AUTH_ROUTES = [
    Route("/request_token", request_token, methods=["POST"], name="request_token"),
    Route("/login", login, methods=["POST"], name="login"),
    Route("/mfa_respond", mfa_respond, methods=["POST"], name="mfa_respond"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/forgot_password", forgot_password, methods=["POST"], name="forgot_password"),
    Route("/reset_password", reset_password, methods=["POST"], name="reset_password"),
]
MAIN_ROUTES = [
    Route("/apitoken/insert", insert_api_token, methods=["POST"], name="insert_api_token"),
    Route("/apitoken/get_all", get_all_api_tokens, methods=["GET"], name="get_all_api_tokens"),
    Route("/apitoken/delete", delete_api_token, methods=["DELETE"], name="delete_api_token"),
    Route("/cloudaccount/get_all", get_all_cloud_accounts, methods=["GET"], name="get_all_cloud_accounts"),
    Route("/cloudaccount/insert", insert_cloud_account, methods=["POST"], name="insert_cloud_account"),
    Route("/cloudaccount/manage_share", manage_share, methods=["PUT"], name="manage_share"),
    Route("/cloudaccount/delete", delete_cloud_account, methods=["DELETE"], name="delete_cloud_account"),
    Route("/cloudaccount/list_buckets", list_buckets, methods=["POST"], name="list_buckets"),
    Route("/cloudaccount/list_objects", list_objects, methods=["POST"], name="list_objects"),
    Route("/transfer/get_all", get_all_transfers, methods=["GET"], name="get_all_transfers"),
    Route("/transfer/transfer", transfer, methods=["POST"], name="transfer"),
    Route("/transfer/calculate_cost", calculate_cost, methods=["POST"], name="calculate_cost"),
    Route("/transfer/cancel_transfer", cancel_transfer, methods=["POST"], name="cancel_transfer"),
    Route("/transfer/retry_transfer", retry_transfer, methods=["POST"], name="retry_transfer"),
    Route(
        "/transfer/download_failed_files",
        download_failed_files,
        methods=["POST"],
        name="download_failed_files",
    ),
    Route(
        "/transfer/failed_files/{transfer_id}.csv", failed_files, methods=["GET", "HEAD"], name="failed_files"
    ),
]
