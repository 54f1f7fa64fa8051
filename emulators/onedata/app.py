"""The Onedata Oneprovider emulator (transfers): its sub-app, error rendering and scenario wiring.

Mounted under the real prefixes `/api/v3/oneprovider` and `/api/v3/onezone` (the token-scope call);
one emulated Oneprovider (the section's `provider`) answers the REST API, the others are the space's
supporting providers it transfers between.

Known deviations from the real service (the references are silent, or this stage simplifies):
- A generated set's files are complete or absent per provider as a whole; partial replicas (blocks)
  are declared for explicit files only. Replicas change only when a transfer completes (a cancelled
  or failed transfer leaves them as they were, partial blocks included).
- `filesToProcess` is known in full when a subtask becomes active (the real traverse grows it).
- An aborting transfer freezes its counters; the real one still processes the files left.
- A token that does not authenticate is refused (401) before the body is sanitized; a request with
  no token is refused after it, as reference 1.1 orders.
- An unknown path (404) or method (405) answers with a JSON error too (the real REST handler sends
  none), as `notFound` and `notSupported`.
- Errors carry no `ctx` object (reference 3.2: optional; clients read id, description, details).
- `Location` is the doc's `https://$HOST/api/v3/oneprovider/transfers/{id}` built from the
  emulator's public URL, not the 21.02 form with the missing slash.
- A view's results are the scenario's file list: `descending`, `skip` and `limit` apply to it; the
  key parameters are checked and echoed but do not filter (the scenario gives files no keys).
- Onezone answers on the same host as the Oneprovider; a scenario token, which never expires, is
  reported valid for a year; a token that is not valid is 400 `badValueToken`.
- File attributes the scenario does not model are fixed (permissions 664/775, uid/gid 0, no shares,
  QoS `fulfilled`); the owner is the space's first member. Each provider supports a space with one
  storage, whose id is derived from the provider's.
- A directory lists its named entries (explicit ones and directories) first, then its generated
  files; children tokens are position tokens, and the `index` option and attribute are the name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from emulators.core.host import Host
from emulators.core.metrics import census
from emulators.core.service import ErrorAnswer, Progress, Service, lazy_mounts
from emulators.core.world import World
from emulators.onedata.errors import render_error
from emulators.onedata.models import ONEZONE_PREFIX, PREFIX
from emulators.onedata.onezone import domains
from emulators.onedata.scenario import OnedataSection
from emulators.onedata.store import OnedataStore, new_store, summary
from emulators.onedata.timeline import ACTIONS


def _render_error(request: Request, answer: ErrorAnswer) -> Response:
    """Every error as `{"error": {"id", "description", "details"}}` (reference 3.1)."""
    code = answer.code if answer.kind in ("service", "fault") else None
    message = answer.message if answer.kind in ("service", "fault") else None
    if answer.kind == "bad_body":
        code, message = "malformedData", "Provided data could not be understood by the server."
    if answer.kind == "not_found":
        message = "The resource could not be found."
    response = render_error(answer.status, code, message, answer.details)
    response.headers.update(answer.headers)
    return response


def _routes_at(prefix: str) -> Sequence[BaseRoute]:
    # Imported on the prefix's first request, not at start-up (see `lazy_mounts`).
    from emulators.onedata.routes import ONEZONE_ROUTES, ROUTES

    return {PREFIX: ROUTES, ONEZONE_PREFIX: ONEZONE_ROUTES}[prefix]


def routes(host: Host) -> list[BaseRoute]:
    return lazy_mounts(host, (PREFIX, ONEZONE_PREFIX), _routes_at, _render_error)


def build_store(world: World, section: OnedataSection | None) -> OnedataStore:
    return new_store(world, section or OnedataSection())


def describe(store: Any, base: str) -> list[str]:
    assert isinstance(store, OnedataStore)
    lines = [
        f"Oneprovider API: {base}{PREFIX}  (provider {store.provider_id})",
        f"Onezone API:     {base}{ONEZONE_PREFIX}",
    ]
    lines += [f"space:          {s.id} {s.spec.name}" for s in store.spaces.values()]
    lines += [f"token:          {token} ({grant.principal.name})" for token, grant in store.tokens]
    return lines


SERVICE = Service(
    name="onedata",
    section=OnedataSection,
    build_store=build_store,
    routes=routes,
    render_error=_render_error,
    actions=ACTIONS,
    summary=summary,
    describe=describe,
    census=census("transfers", lambda transfer, now: transfer.status(now)),
    hostnames=domains,
    progress=Progress("transferStatus", ("filesProcessed",), "filesToProcess"),
)
