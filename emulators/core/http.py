"""Request-reading helpers every service uses, so bad input is refused the same way everywhere."""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from emulators.core.errors import BadRequestBody

MAX_BODY_BYTES = 1 * 2**20
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refusing (BadRequestBody) more than `limit` bytes without reading them all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BadRequestBody(f"The request body is larger than {limit} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise BadRequestBody(f"The request body is larger than {limit} bytes.")
    return bytes(body)


async def read_json_object(request: Request, limit: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """The body as a JSON object, or BadRequestBody saying why not."""
    body = await read_body(request, limit)
    if not body.strip():
        raise BadRequestBody("A non-empty request body is required.")
    try:
        document = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise BadRequestBody("The request body is not valid JSON.") from exc
    if holds_lone_surrogate(body, document):
        raise BadRequestBody("The request body is not valid JSON.")
    if not isinstance(document, dict):
        raise BadRequestBody("The request body must be a JSON object.")
    return document


def holds_lone_surrogate(body: bytes, document: Any) -> bool:
    """Whether JSON parsed from `body` holds a lone UTF-16 surrogate: Python's parser lets "\\ud800"
    through, but it is no character, the services would refuse it, and it cannot be sent back."""
    return _SURROGATE_ESCAPE.search(body) is not None and _has_unpaired_surrogate(document)


def _has_unpaired_surrogate(document: Any) -> bool:
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _no_constant(name: str) -> Any:
    """JSON has no NaN or Infinity; Python's parser would accept them."""
    raise ValueError(f"{name} is not JSON")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app answers on this path (for a 405's Allow header).

    Starlette reports only the first route that matched the path, and services declare one route per
    method, so the answer is gathered from all of them.
    """
    methods: set[str] = set()
    for route in request.app.router.routes:
        if (
            isinstance(route, Route)
            and route.methods
            and route.path_regex.match(request.scope["path"].removeprefix(request.scope.get("root_path", "")))
        ):
            methods |= route.methods
    return sorted(methods)


def is_loopback(address: str) -> bool:
    """Whether an IP address (text) is loopback, an IPv4 one seen through an IPv6 socket included
    (`::ffff:127.0.0.1`, what a server bound to `::` sees of an IPv4 loopback client)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return (mapped or ip).is_loopback


def host_name(host: str) -> str:
    """The name in a `Host` header, lower case, without its port or an IPv6 literal's brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def media_type(content_type: str) -> str:
    """The media type of a `Content-Type` value, lower case and without parameters."""
    return content_type.split(";", 1)[0].strip().lower()
