"""The Amove emulator: its sub-apps, error handling and scenario wiring.

Mounted under the real path prefixes, both real hosts on one port: `/api/authentication` (the
Authentication API, `https://auth.amove.io`), `/api/v1` (the Main API, `https://api.amove.io`) and
`/api/rm` (the SignalR hub).

Known deviations from the real service (its public docs are silent; these are our choices):
- Errors: everything an application error would be, including a body that is not JSON, an unknown
  path or a wrong method, is a 499 (`DEFAULT` or `NOT_FOUND`); the Error Model has no 400/404/405.
  The messages are ours.
- A request token is consumed only by a successful use (a wrong password leaves it usable).
- A transfer ends `Error` when any of its objects failed, `Completed` otherwise; a cancel stops the
  copy at once and the transfer is `Canceling` for `cancel_delay` seconds.
- Only ad-hoc transfers (`transferType` 1) exist: there are no syncs.
- `allowSkip` compares modification times: an object is skipped when the destination holds a newer
  one at its target key. Without `keepSourceTree`, objects with the same name overwrite each other.
- A retry re-copies the failed objects without the scenario's data faults (failures are taken as
  transient); it needs the roles that may initiate transfers.
- World events (docs/amove.md, "Faults and world events"): revoked credentials fail a transfer at
  its pickup or at once, the request itself being accepted; a full destination bucket (room claimed
  in request order) fails the object that does not fit and all after it; during a provider outage
  a transfer waits, and gives up after `behaviour.outage_retry` seconds. The reasons' wording is ours.
- Cancel, retry and the failed-files link accept any user of the transfer's account; another
  account's transfer is a 499 `ACCESS`.
- The cost and `transferredCost` use the source provider's egress price per 10^9 bytes, rounded to
  four decimals; a provider without a price is free.
- The failed-files CSV (`Key,Size,Reason`) is served by the emulator itself; a bad or expired link is
  a 403 with an S3-style XML error.
- `forgot_password` sends no mail: the reset token shows in the control API's state.
- Lists sort on any field of the record, matched without regard to case; an unknown field is a 499.
- The hub's method names and payload are not public: pushes invoke the scenario's `hub.target`
  (default `transferProgress`) with the Transfer record, and the hub offers no methods to call. Its
  three transports (WebSockets, Server-Sent Events, Long Polling) answer as ASP.NET Core does; an idle
  connection is forgotten after 15 real seconds (not on the emulator's clock).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from emulators.amove.errors import render_error
from emulators.amove.scenario import AmoveSection
from emulators.amove.store import AmoveStore, new_store, summary
from emulators.amove.timeline import ACTIONS
from emulators.amove.transfers import CANCELED, CANCELING, COMPLETED, CREATED, ERROR, PAUSED, PAUSING, RUNNING
from emulators.core.host import Host
from emulators.core.metrics import census
from emulators.core.service import ErrorAnswer, Progress, Service, lazy_mounts
from emulators.core.world import World

AUTH_PREFIX = "/api/authentication"
MAIN_PREFIX = "/api/v1"
HUB_PREFIX = "/api/rm"


def _render_error(request: Request, answer: ErrorAnswer) -> Response:
    return render_error(answer)


def _routes_at(prefix: str) -> Sequence[BaseRoute]:
    # Imported on the prefix's first request, not at start-up (see `lazy_mounts`).
    from emulators.amove import hub
    from emulators.amove.routes import AUTH_ROUTES, MAIN_ROUTES

    by_prefix: dict[str, Sequence[BaseRoute]] = {
        AUTH_PREFIX: AUTH_ROUTES,
        MAIN_PREFIX: MAIN_ROUTES,
        HUB_PREFIX: hub.ROUTES,
    }
    return by_prefix[prefix]


def routes(host: Host) -> list[BaseRoute]:
    return lazy_mounts(host, (AUTH_PREFIX, MAIN_PREFIX, HUB_PREFIX), _routes_at, _render_error)


def build_store(world: World, section: AmoveSection | None) -> AmoveStore:
    return new_store(world, section or AmoveSection())


def describe(store: Any, base: str) -> list[str]:
    assert isinstance(store, AmoveStore)
    lines = [
        f"Amove auth:     {base}{AUTH_PREFIX}",
        f"Amove API:      {base}{MAIN_PREFIX}",
        f"Amove hub:      {base}{HUB_PREFIX}",
    ]
    lines += [f"Amove user:     {u.username} / {u.password} (type {u.type})" for u in store.users.values()]
    return lines


STATUS_NAMES = {
    CREATED: "Created",
    RUNNING: "Running",
    COMPLETED: "Completed",
    CANCELED: "Canceled",
    ERROR: "Error",
    CANCELING: "Canceling",
    PAUSING: "Pausing",
    PAUSED: "Paused",
}
"""TransferStatus values by their names in the doc."""


SERVICE = Service(
    name="amove",
    section=AmoveSection,
    build_store=build_store,
    routes=routes,
    render_error=_render_error,
    actions=ACTIONS,
    summary=summary,
    describe=describe,
    census=census("transfers", lambda transfer, now: STATUS_NAMES[transfer.status(now)]),
    prefixes_ignore_case=True,  # an ASP.NET Core host: its /api/... paths match in any case
    progress=Progress("transferStatus", ("transferred", "failed", "skipped"), "total"),
)
