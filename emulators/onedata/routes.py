"""The Oneprovider endpoints under `/api/v3/oneprovider`, in the reference's order: the transfers
(1.1-1.5), then the file surface (5.2: path lookup, attributes, children, distribution, the
space, configuration), and under `/api/v3/onezone` the Onezone call clients make first (token scope).

Each handler reads the request, catches the World up, calls the schedule and renders; every error is
raised and rendered by the service's one renderer.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.core.host import public_url, world_of
from emulators.core.http import read_body
from emulators.onedata import data, files, onezone, schedule
from emulators.onedata.auth import authenticated, user_of
from emulators.onedata.models import PREFIX, parse_body, sanitize_create, status_document
from emulators.onedata.store import OnedataStore

_CORS = {"access-control-allow-origin": "*"}


def _store(request: Request) -> OnedataStore:
    store = world_of(request).store_named("onedata")
    assert isinstance(store, OnedataStore)
    return store


def _created(request: Request, transfer_id: str) -> Response:
    """201 `{transferId}` with the Location the create-transfer doc gives (.../transfers/{id})."""
    location = f"{public_url(request)}{PREFIX}/transfers/{transfer_id}"
    return JSONResponse({"transferId": transfer_id}, 201, {"Location": location, **_CORS})


async def create_transfer(request: Request) -> Response:
    store = _store(request)
    now = store.world.catch_up()
    user = user_of(store, request.scope, now)  # a bad token is refused first; a guest after sanitizing
    body = parse_body(await read_body(request))
    create = sanitize_create(body, dict(request.query_params))
    job = schedule.create_transfer(store, user, create, now)
    return _created(request, job.id)


async def get_transfer_status(request: Request) -> Response:
    store = _store(request)
    now = store.world.catch_up()
    user = user_of(store, request.scope, now)
    job = schedule.find(store, user, request.path_params["tid"], "space_view_transfers")
    document = status_document(job, schedule.effective(store, job), now, store.behaviour.legacy_fields)
    return JSONResponse(document, headers=_CORS)


async def cancel_transfer(request: Request) -> Response:
    store = _store(request)
    now = store.world.catch_up()
    schedule.cancel_transfer(store, user_of(store, request.scope, now), request.path_params["tid"], now)
    return Response(status_code=204, headers=_CORS)


async def rerun_transfer(request: Request) -> Response:
    store = _store(request)
    now = store.world.catch_up()
    job = schedule.rerun_transfer(store, user_of(store, request.scope, now), request.path_params["tid"], now)
    return _created(request, job.id)


async def get_all_transfers(request: Request) -> Response:
    store = _store(request)
    now = store.world.catch_up()
    user = user_of(store, request.scope, now)
    query = schedule.parse_list_query(dict(request.query_params))
    ids, token = schedule.list_transfers(store, user, request.path_params["sid"], query, now)
    return JSONResponse({"transfers": ids, "nextPageToken": token}, headers=_CORS)


async def lookup_file_id(request: Request) -> Response:
    store = _store(request)
    now = store.world.catch_up()
    user = authenticated(user_of(store, request.scope, now))
    file_id = files.lookup_file_id(store, user, request.path_params["path"])
    return JSONResponse({"fileId": file_id}, headers=_CORS)  # reference 5.2: 200, not 201


async def get_attrs(request: Request) -> Response:
    store = _store(request)
    now = store.world.catch_up()
    user = user_of(store, request.scope, now)
    body = parse_body(await read_body(request))  # reference 5.2: attributes may come as a GET body
    space, node = data.resolve(store, user, request.path_params["id"])
    names = data.requested(body, dict(request.query_params))
    return JSONResponse(data.attributes(store, space, node, names, store.world.start), headers=_CORS)


async def list_children(request: Request) -> Response:
    store = _store(request)
    now = store.world.catch_up()
    user = user_of(store, request.scope, now)
    body = parse_body(await read_body(request))
    space, node = data.resolve(store, user, request.path_params["id"])
    query = data.children_query(body, dict(request.query_params))
    page = data.list_children(store, space, node, query, store.world.start)
    return JSONResponse(page, headers=_CORS)


async def get_file_distribution(request: Request) -> Response:
    store = _store(request)
    now = store.world.catch_up()
    space, node = data.resolve(store, user_of(store, request.scope, now), request.path_params["id"])
    return JSONResponse(data.distribution(store, space, node), headers=_CORS)


async def get_space(request: Request) -> Response:
    store = _store(request)
    now = store.world.catch_up()
    user = user_of(store, request.scope, now)
    document = files.space_document(store, user, request.path_params["sid"])
    return JSONResponse(document, headers=_CORS)


async def get_configuration(request: Request) -> Response:
    store = _store(request)
    return JSONResponse(files.configuration(store), headers=_CORS)


def _rest_of_path(route: Route) -> Route:
    """The route with its `{...:path}` parameter taking the rest of the URL, newlines included: a
    file name may hold any character but `/` and NUL, and Starlette's `path` stops at a newline."""
    route.path_regex = re.compile(route.path_regex.pattern, re.DOTALL)
    return route


ROUTES = [
    Route("/transfers", create_transfer, methods=["POST"], name="create_transfer"),
    Route("/transfers/{tid}", get_transfer_status, methods=["GET"], name="get_transfer_status"),
    Route("/transfers/{tid}", cancel_transfer, methods=["DELETE"], name="cancel_transfer"),
    Route("/transfers/{tid}/rerun", rerun_transfer, methods=["POST"], name="rerun_transfer"),
    Route("/spaces/{sid}/transfers", get_all_transfers, methods=["GET"], name="get_all_transfers"),
    _rest_of_path(
        Route("/lookup-file-id/{path:path}", lookup_file_id, methods=["POST"], name="lookup_file_id")
    ),
    Route("/data/{id}", get_attrs, methods=["GET"], name="get_attrs"),
    Route("/data/{id}/children", list_children, methods=["GET"], name="list_children"),
    Route("/data/{id}/distribution", get_file_distribution, methods=["GET"], name="get_file_distribution"),
    Route("/spaces/{sid}", get_space, methods=["GET"], name="get_space"),
    Route("/configuration", get_configuration, methods=["GET"], name="get_configuration"),
]


async def infer_access_token_scope(request: Request) -> Response:
    store = _store(request)
    now = store.world.catch_up()
    body = parse_body(await read_body(request))
    return JSONResponse(onezone.infer_access_token_scope(store, body, now), headers=_CORS)


ONEZONE_ROUTES = [
    Route(
        "/tokens/infer_access_token_scope",
        infer_access_token_scope,
        methods=["POST"],
        name="infer_access_token_scope",
    ),
]
