"""Request-reading helpers: bodies too large, empty, not JSON or not a JSON object are refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulators.core.errors import BadRequestBody
from emulators.core.http import MAX_BODY_BYTES, read_body, read_json_object

LIMIT = 32


async def echo(request: Request) -> Response:
    try:
        document = await read_json_object(request, limit=LIMIT)
    except BadRequestBody as exc:
        return JSONResponse({"error": exc.message}, status_code=400)
    return JSONResponse(document)


APP = Starlette(routes=[Route("/echo", echo, methods=["POST"])])


def post(content: bytes | AsyncIterator[bytes], **kwargs: Any) -> httpx.Response:
    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=APP), base_url="http://emulator") as c:
            return await c.post("/echo", content=content, **kwargs)

    return asyncio.run(send())


def error(response: httpx.Response) -> str:
    assert response.status_code == 400
    message: str = response.json()["error"]
    return message


def test_a_json_object_is_read() -> None:
    response = post(b'{"a": [1, 2], "b": null}')
    assert response.status_code == 200
    assert response.json() == {"a": [1, 2], "b": None}


def test_a_body_of_exactly_the_limit_is_read() -> None:
    body = b'{"k": "' + b"x" * (LIMIT - 9) + b'"}'
    assert len(body) == LIMIT
    assert post(body).status_code == 200


def test_a_declared_oversized_body_is_refused() -> None:
    body = b'{"k": "' + b"x" * LIMIT + b'"}'
    assert error(post(body)) == f"The request body is larger than {LIMIT} bytes."


def test_a_streamed_oversized_body_is_refused() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"k": "'
        for _ in range(10):
            yield b"x" * 8
        yield b'"}'

    assert error(post(chunks())) == f"The request body is larger than {LIMIT} bytes."


def test_a_declared_oversized_body_is_refused_without_reading_it() -> None:
    received: list[Any] = []

    async def receive() -> dict[str, Any]:
        received.append(True)
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "headers": [(b"content-length", str(MAX_BODY_BYTES + 1).encode())],
    }
    with pytest.raises(BadRequestBody, match="larger than"):
        asyncio.run(read_body(Request(scope, receive)))
    assert received == []


@pytest.mark.parametrize("body", [b"", b"  \n\t "])
def test_an_empty_body_is_refused(body: bytes) -> None:
    assert error(post(body)) == "A non-empty request body is required."


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"{'a': 1}",
        b"hello",
        b'{"a": "\xff"}',
        b"{} x",
        b'{"a": "x\\ud800y"}',
        b'{"a": {"\\udfff": 1}}',
        b'{"a": ["\\uDC00"]}',
    ],
)
def test_a_body_that_is_not_json_is_refused(body: bytes) -> None:
    assert error(post(body)) == "The request body is not valid JSON."


def test_a_surrogate_pair_is_one_character_and_accepted() -> None:
    assert post(b'{"a": "\\ud83d\\ude00"}').status_code == 200


def test_a_deeply_nested_body_is_refused_as_not_json() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000

    async def read() -> dict[str, Any]:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": deep, "more_body": False}

        return await read_json_object(Request({"type": "http", "method": "POST", "headers": []}, receive))

    with pytest.raises(BadRequestBody, match="not valid JSON"):
        asyncio.run(read())


@pytest.mark.parametrize("body", [b"[]", b"[{}]", b"1", b'"text"', b"null", b"true"])
def test_a_json_document_that_is_not_an_object_is_refused(body: bytes) -> None:
    assert error(post(body)) == "The request body must be a JSON object."
