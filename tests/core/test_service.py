"""`service_app`: a service's errors reach its one renderer with everything they carry; the app's
dispatcher finds a service by its prefix, in any case when the service declares so."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from emulators.app import create_app
from emulators.core.errors import ServiceError
from emulators.core.service import ErrorAnswer, Service, service_app
from emulators.core.types import STATUS_KEY


def test_a_service_error_reaches_the_renderer_with_its_code_headers_and_details() -> None:
    answers: list[ErrorAnswer] = []

    async def refuse(request: Request) -> Response:
        raise ServiceError(400, "bad key", "badValue", {"X-Why": "key"}, {"key": "fileId"})

    def render(request: Request, answer: ErrorAnswer) -> Response:
        answers.append(answer)
        body: dict[str, Any] = {"code": answer.code, "details": dict(answer.details or {})}
        return JSONResponse(body, status_code=answer.status, headers=dict(answer.headers))

    app = service_app(None, [Route("/refuse", refuse)], render)  # type: ignore[arg-type]  # no Host needed
    response = asyncio.run(_get(app, "/refuse"))
    assert (response.status_code, response.json()) == (
        400,
        {"code": "badValue", "details": {"key": "fileId"}},
    )
    assert response.headers["X-Why"] == "key"
    assert answers[0].kind == "service" and answers[0].message == "bad key"


def test_errors_without_details_carry_none() -> None:
    assert ServiceError(404, "missing").details is None
    assert ErrorAnswer("not_found", 404, None).details is None


async def _get(app: Any, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator") as c:
        return await c.get(path)


class _Empty(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _echo_service(name: str, prefix: str, ignore_case: bool) -> Service:
    """A service answering `{service, root_path, path}` at every path below `prefix`."""

    async def echo(request: Request) -> Response:
        root = request.scope["root_path"]
        return JSONResponse({"service": name, "root_path": root, "path": request.url.path[len(root) :]})

    def routes(host: Any) -> list[BaseRoute]:
        app = service_app(host, [Route("/{rest:path}", echo)], _render_not_found)
        return [Mount(prefix, app=app)]

    return Service(
        name, _Empty, lambda world, section: None, routes, _render_not_found, prefixes_ignore_case=ignore_case
    )


def _render_not_found(request: Request, answer: ErrorAnswer) -> Response:
    return JSONResponse({"error": answer.kind}, status_code=answer.status)


def _prefix_app() -> Any:
    services = [
        _echo_service("aspnet", "/Transfer-Service", ignore_case=True),
        _echo_service("exact", "/v0.10", ignore_case=False),
        _echo_service("shadow", "/transfer-service/special", ignore_case=False),
    ]
    return create_app(scenario_text="version: 1\n", services=services, clock="manual")


@pytest.mark.parametrize(
    ("path", "service", "root_path"),
    [
        ("/Transfer-Service/api/Jobs", "aspnet", "/Transfer-Service"),
        ("/TRANSFER-SERVICE/api/Jobs", "aspnet", "/TRANSFER-SERVICE"),  # the request's own spelling
        ("/transfer-service", "aspnet", "/transfer-service"),
        ("/transfer-service/special/x", "shadow", "/transfer-service/special"),  # exact first
        ("/TRANSFER-SERVICE/SPECIAL/x", "aspnet", "/TRANSFER-SERVICE"),  # shadow is exact-only
        ("/v0.10/task_list", "exact", "/v0.10"),
    ],
)
def test_a_prefix_matches_in_any_case_only_for_a_service_that_declares_it(
    path: str, service: str, root_path: str
) -> None:
    response = asyncio.run(_get(_prefix_app(), path))
    assert response.status_code == 200, response.text
    assert response.json()["service"] == service
    assert response.json()["root_path"] == root_path


@pytest.mark.parametrize("path", ["/V0.10/task_list", "/Transfer-ServiceX/api", "/transfer-servic"])
def test_other_spellings_find_no_service(path: str) -> None:
    response = asyncio.run(_get(_prefix_app(), path))
    assert response.status_code == 404
    assert response.json()["error"] == "no emulated service serves this path"


@pytest.mark.parametrize(
    ("path", "served"),
    [
        ("/TRANSFER-SERVICE/api/v2/transfer/jobs/1", True),  # Relativity: ASP.NET Core
        ("/relativity/identity/connect/token", True),
        ("/API/V1/transfer/get_all", True),  # Amove: ASP.NET Core
        ("/V0.10/task_list", False),  # Globus: exact
        ("/API/V3/oneprovider/transfers/1", False),  # Onedata: exact
    ],
)
def test_the_asp_net_services_take_their_prefixes_in_any_case(path: str, served: bool) -> None:
    response = asyncio.run(_get(create_app(clock="manual"), path))
    assert ("no emulated service serves this path" not in response.text) == served, response.text


def test_routes_given_as_a_function_are_made_on_the_first_request_and_only_then() -> None:
    made: list[int] = []

    async def hello(request: Request) -> Response:
        return JSONResponse({"hello": True})

    def routes() -> list[BaseRoute]:
        made.append(1)
        return [Route("/hello", hello)]

    app = service_app(None, routes, _render_not_found)  # type: ignore[arg-type]  # no Host needed
    assert made == []

    async def twice() -> list[httpx.Response]:
        return [await _get(app, "/hello"), await _get(app, "/nowhere")]

    first, missing = asyncio.run(twice())
    assert (first.status_code, first.json()) == (200, {"hello": True})
    assert (missing.status_code, missing.json()) == (404, {"error": "not_found"})
    assert made == [1]


@pytest.mark.parametrize(
    ("path", "status"), [("/api/hello", 200), ("/api", 200), ("/api/crash", 500), ("/api/nowhere", 404)]
)
def test_the_sub_app_notes_the_status_it_answered_with_in_the_callers_scope(path: str, status: int) -> None:
    async def hello(request: Request) -> Response:
        return JSONResponse({"hello": True})

    async def crash(request: Request) -> Response:
        raise RuntimeError("a bug")

    app = service_app(
        None,  # type: ignore[arg-type]  # no Host needed
        [Route("/", hello), Route("/hello", hello), Route("/crash", crash)],
        _render_not_found,
    )
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": path,
        "root_path": "/api",
        "headers": [],
        "query_string": b"",
    }
    sent: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        if message["type"] == "http.response.start":
            sent.append(message["status"])

    try:
        asyncio.run(app(scope, receive, send))
    except RuntimeError:
        assert status == 500  # answered, then raised on for the server to log
    assert sent == [status]
    assert scope[STATUS_KEY] == status
