"""`service_app`: a service's errors reach its one renderer with everything they carry."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.core.errors import ServiceError
from emulators.core.service import ErrorAnswer, service_app


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
