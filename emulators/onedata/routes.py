"""The Oneprovider endpoints under `/api/v3/oneprovider`, in the reference's order: the transfers
(1.1-1.5), then the file surface (5.2: path lookup, configuration).

Each handler reads the request, catches the World up, calls the schedule and renders; every error is
raised and rendered by the service's one renderer.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.core.host import public_url, world_of
from emulators.core.http import read_body
from emulators.onedata.auth import authenticated, user_of
from emulators.onedata.files import configuration, lookup_file_id
from emulators.onedata.models import parse_body, sanitize_create, status_document
from emulators.onedata.schedule import (
    cancel_transfer,
    create_transfer,
    effective,
    find,
    list_transfers,
    parse_list_query,
    rerun_transfer,
)
from emulators.onedata.store import OnedataStore

PREFIX = "/api/v3/oneprovider"
_CORS = {"access-control-allow-origin": "*"}


def _store(request: Request) -> OnedataStore:
    store = world_of(request).store_named("onedata")
    assert isinstance(store, OnedataStore)
    return store


def _created(request: Request, transfer_id: str) -> Response:
    """201 `{transferId}` with the Location the create-transfer doc gives (.../transfers/{id})."""
    location = f"{public_url(request)}{PREFIX}/transfers/{transfer_id}"
    return JSONResponse({"transferId": transfer_id}, 201, {"Location": location, **_CORS})


async def create_transfer_route(request: Request) -> Response:
    store = _store(request)
    now = store.world.catch_up()
    user = user_of(store, request.scope, now)  # a bad token is refused first; a guest after sanitizing
    body = parse_body(await read_body(request))
    create = sanitize_create(body, dict(request.query_params))
    job = create_transfer(store, user, create, now)
    return _created(request, job.id)


async def get_transfer_status(request: Request) -> Response:
    store = _store(request)
    now = store.world.catch_up()
    user = user_of(store, request.scope, now)
    job = find(store, user, request.path_params["tid"], "space_view_transfers")
    document = status_document(job, effective(store, job), now, store.behaviour.legacy_fields)
    return JSONResponse(document, headers=_CORS)


async def cancel_transfer_route(request: Request) -> Response:
    store = _store(request)
    now = store.world.catch_up()
    cancel_transfer(store, user_of(store, request.scope, now), request.path_params["tid"], now)
    return Response(status_code=204, headers=_CORS)


async def rerun_transfer_route(request: Request) -> Response:
    store = _store(request)
    now = store.world.catch_up()
    job = rerun_transfer(store, user_of(store, request.scope, now), request.path_params["tid"], now)
    return _created(request, job.id)


async def get_all_transfers(request: Request) -> Response:
    store = _store(request)
    now = store.world.catch_up()
    user = user_of(store, request.scope, now)
    query = parse_list_query(dict(request.query_params))
    ids, token = list_transfers(store, user, request.path_params["sid"], query, now)
    return JSONResponse({"transfers": ids, "nextPageToken": token}, headers=_CORS)


async def lookup_file_id_route(request: Request) -> Response:
    store = _store(request)
    now = store.world.catch_up()
    user = authenticated(user_of(store, request.scope, now))
    file_id = lookup_file_id(store, user, request.path_params["path"])
    return JSONResponse({"fileId": file_id}, headers=_CORS)  # reference 5.2: 200, not 201


async def get_configuration(request: Request) -> Response:
    store = _store(request)
    return JSONResponse(configuration(store), headers=_CORS)


ROUTES = [
    Route("/transfers", create_transfer_route, methods=["POST"], name="create_transfer"),
    Route("/transfers/{tid}", get_transfer_status, methods=["GET"], name="get_transfer_status"),
    Route("/transfers/{tid}", cancel_transfer_route, methods=["DELETE"], name="cancel_transfer"),
    Route("/transfers/{tid}/rerun", rerun_transfer_route, methods=["POST"], name="rerun_transfer"),
    Route("/spaces/{sid}/transfers", get_all_transfers, methods=["GET"], name="get_all_transfers"),
    Route("/lookup-file-id/{path:path}", lookup_file_id_route, methods=["POST"], name="lookup_file_id"),
    Route("/configuration", get_configuration, methods=["GET"], name="get_configuration"),
]
