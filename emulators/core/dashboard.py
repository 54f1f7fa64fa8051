"""The dashboard at `/_emulator/ui`: a page that shows and drives a running emulator.

It shows every service's main collection (jobs, tasks, transfers) with each item's status and a
progress bar, the virtual clock, the fault rules (and how often each fired), the request journal and
the scenario in effect; it advances or sets the clock and adds and removes fault rules. The page is
rendered here, generic over the services: each service's `summary` is shown as it is, and its
optional `Progress` declaration says where an item's status and counts are. Its script and style
sheet are package data served from here, so it works offline.

The routes live inside the control API's app, behind the same rules: loopback clients only, or the
control token. The page calls the control API itself (`/state`, `/clock`, `/faults`, `/requests`)
with JSON bodies from its own origin, which those rules let through. A browser cannot put a token in
the `Authorization` header of a page it navigates to, so `take_token_from_query` accepts it as
`?token=` on the page and its two files only; the script keeps it in the tab's session storage and
sends it as a bearer token on every call. `GET /ui/events` streams snapshots (Server-Sent Events)
whenever something changed, checking every `INTERVAL` seconds of real time, until the client leaves.
"""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import AsyncIterator
from importlib import resources
from string import Template
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from emulators.core.errors import ControlError
from emulators.core.host import Host
from emulators.core.service import Page
from emulators.core.types import Receive, Scope, Send

UI = "/ui"
FILES = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}
INTERVAL = 0.25  # real seconds between two looks at the state while a page is open
HEARTBEAT = 15.0  # real seconds of quiet after which a comment keeps the stream's connection busy
LIFETIME = 30.0  # real seconds a stream lasts (a server stopping waits for it); the page reconnects
MAX_LIMIT = 1000  # items per service in a snapshot
# The page loads nothing from elsewhere, runs only its own script, and no other site may frame it
# (a frame would let that site lure clicks onto its buttons).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _read(name: str) -> str:
    return resources.files("emulators.core.ui").joinpath(name).read_text(encoding="utf-8")


PAGE = Template(_read("dashboard.html"))


def routes() -> list[BaseRoute]:
    """The dashboard's routes, to mount in the control API's app (beside `/state` and the rest)."""
    return [
        Route(UI, page, methods=["GET"], name="dashboard"),
        Route(f"{UI}/events", events, methods=["GET"], name="dashboard_events"),
        Route(f"{UI}/static/{{name}}", static, methods=["GET"], name="dashboard_static"),
    ]


def _host(request: Request) -> Host:
    host: Host = request.app.state.host
    return host


async def page(request: Request) -> Response:
    """The page: a section per service (filled in and kept current by the script)."""
    host = _host(request)
    control = request.scope.get("root_path", "")
    token = request.query_params.get("token")
    suffix = f"?token={quote(token, safe='')}" if token else ""
    config = {
        "api": control,
        "events": f"{control}{UI}/events",
        "services": {
            s.name: None if s.progress is None else vars(s.progress) | {"done": list(s.progress.done)}
            for s in host.services
        },
    }
    sections = "\n".join(
        f'<section class="service" id="service-{html.escape(s.name)}" data-service="{html.escape(s.name)}">'
        f'<h3>{html.escape(s.name)}</h3><p class="empty">loading…</p></section>'
        for s in host.services
    )
    text = PAGE.substitute(
        script=html.escape(f"{control}{UI}/static/dashboard.js{suffix}"),
        style=html.escape(f"{control}{UI}/static/dashboard.css{suffix}"),
        config=script_json(config),
        sections=sections,
    )
    return Response(text, media_type="text/html", headers=SECURITY_HEADERS)


def script_json(value: Any) -> str:
    """JSON safe inside a `<script type="application/json">` element: no `<`, `>` or `&`."""
    text = json.dumps(value, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


async def static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in FILES:
        raise ControlError(404, "no such dashboard file")
    return Response(_read(name), media_type=FILES[name], headers=SECURITY_HEADERS)


async def events(request: Request) -> Response:
    """Server-Sent Events: a snapshot now, then one each time it changes (`limit` items a service)."""
    try:
        limit = int(request.query_params.get("limit", "100"))
    except ValueError as exc:
        raise ControlError(400, "limit must be an integer") from exc
    if not 1 <= limit <= MAX_LIMIT:
        raise ControlError(400, f"limit must be 1 to {MAX_LIMIT}")
    stream = _snapshots(_host(request), Page(limit))
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)


async def _snapshots(host: Host, page: Page) -> AsyncIterator[str]:
    """Each changed snapshot as an event, looking every INTERVAL real seconds. Starlette stops this
    generator when the client disconnects; it also ends by itself after LIFETIME."""
    loop = asyncio.get_running_loop()
    started = quiet_since = loop.time()
    sent = None
    while loop.time() - started < LIFETIME:
        text = json.dumps(snapshot(host, page), separators=(",", ":"))
        if text != sent:
            sent, quiet_since = text, loop.time()
            yield f"data: {text}\n\n"
        elif loop.time() - quiet_since >= HEARTBEAT:
            quiet_since = loop.time()
            yield ": still here\n\n"
        await asyncio.sleep(INTERVAL)


def snapshot(host: Host, page: Page) -> dict[str, Any]:
    """What the page shows, as one document: the clock, the scenario, the first page of each
    service's summary, the fault rules, and where the journal stands (the page reads the entries
    themselves from `/requests`, with its filters, when that changes)."""
    world = host.world
    now = world.catch_up()
    newest = world.journal.last()
    last = None if newest is None else [newest.id, newest.status]
    clock = world.clock
    return {
        "clock": {"now": now.isoformat(), "mode": clock.mode, "speed": getattr(clock, "speed", None)},
        "scenario": {
            "name": host.scenario.model.name,
            "description": host.scenario.model.description,
            "seed": world.seed,
        },
        "pending_events": world.pending_events,
        "services": {s.name: s.summary(world.store_named(s.name), page) for s in host.services},
        "faults": [rule.as_dict() for rule in world.faults.rules],
        "journal": {"entries": len(world.journal), "last": last},
    }


class take_token_from_query:  # a pipeline step, named as a verb
    """ASGI middleware: a `?token=` on a GET of the dashboard's page or files becomes the bearer
    token the control API's rules check, as a browser cannot send that header when it navigates."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            path = scope["path"].removeprefix(scope.get("root_path", ""))
            if path == UI or path.startswith(f"{UI}/static/"):
                scope = _with_query_token(scope)
        await self.app(scope, receive, send)


def _with_query_token(scope: Scope) -> Scope:
    headers = list(scope["headers"])
    if any(name == b"authorization" for name, _ in headers):
        return scope
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    token = query.get("token")
    if not token:
        return scope
    return {**scope, "headers": [*headers, (b"authorization", f"Bearer {token}".encode())]}
