"""The Relativity Transfer Service v2 emulator: its sub-apps, error handling and scenario wiring.

Mounted under the real prefixes: `/transfer-service` (the API at `/api/v2/...` and the QC report
blobs at `/qc/...`) and `/Relativity/Identity` (the token endpoint).

Known deviations from the real service (the public doc is silent; these are our choices, explained in
the project's docs/relativity.md):
- TransferStatus is `Queued` before agent pickup and `Cancelled` after a cancel; the enumeration
  status is `cancelled` when a job is cancelled before enumeration completed.
- The enumeration `error` reads `ER_xxxxx: <description from the doc's table>`.
- `POST v2/transfer/jobs` answers 200 with an empty body; a reused `transferJobID` is a 400.
- The swagger's `eta` field is not returned (the doc does not list it).
- `sourceFullPath` is the SAS URL without its query, so the signature is never echoed.
- QC reports are served by the emulator itself (path-style blob URLs), not by Azure.
- A SAS's allowed IP range (`sip`) is not checked: the service's own address is unknown here. SAS
  versions before 2015-04-05 are refused as bad signatures (ER_00001).
- Jobs belong to the instance, not to a user: any accepted token reads or cancels any job.
- Statistics refresh every `statistics_interval` seconds, and also at once when a job ends or is
  cancelled: the doc's "approximately every 10 seconds" read so that GET never shows a job running
  that DELETE refuses as already finished.
- "We will verify only unique file paths" (validation): a file whose path is also a folder of the job
  (a flat blob namespace allows it, a fileshare does not) fails at validation with ER_20005.
- One table maps Azure conditions to ER codes on every path (listing, copy, data faults, timeline):
  the listing answers as List Blobs does (a bad, expired or not-yet-valid SAS is AuthenticationFailed,
  ER_00001) and a copy as a server-side copy does (CannotVerifyCopySource, ER_00005). Azure codes the
  doc's table lacks go under the row that describes them (ContainerNotFound is ER_10001,
  AuthorizationProtocolMismatch ER_00002).
- The naming rules' 1,024-byte limit counts the written path: `destinationPath`, a separator and the
  file's path below the source. Empty directories obey the rules too (failedEmptyDirectories); one
  that breaks them makes the job Failed, as a file does.
- skippedFiles, skippedBytes and skippedEmptyDirectories count what a cancel left undone: enumerated
  files the copy had not reached, and the empty directories when the copy had not ended (they are
  made when it ends).
- Transient Azure errors (ServerBusy, OperationTimedOut, InternalError) are retried up to
  `behaviour.transient_retries` times (default 3), each attempt drawing a data-fault rule's
  probability afresh; a file fails (ER_99999) only if every attempt meets one. Each retry waits the
  Azure SDK for .NET's exponential back-off (`transient_retry_delay` 0.8 s, doubled, at most
  `transient_retry_max_delay` 60 s) without its random jitter, holding up the stage that retried.
- Every kind of SAS the doc's "a valid SAS Url" covers is taken: container and directory service SAS,
  account SAS (listing needs `ss` with `b` and `srt` with `c` and `o`, else ER_00002) and user
  delegation SAS, signed with a delegation key the scenario declares (`delegation_keys`) and working no
  longer than that key. The user delegation string-to-sign follows azure-storage-blob's lines by
  version (2020-02-10 and later; older ones fail as bad signatures); the versions where the
  delegated-user and signed-request lines join are our inference.
- After agent pickup the agent takes `agent_startup` seconds (default 10) before the first file is
  listed; the job reads InProgress / inprogress with nothing counted yet. With the default timing every
  documented stage lasts at least one 10 s refresh, however small the job.
- `tags` values must be strings (a null value is a 400).
- Paths match in any case, as an ASP.NET Core host's do: the two prefixes (`/TRANSFER-SERVICE/...`)
  and the routes below them; the QC report's blob path below the prefix stays case-sensitive, as
  Azure blob names are. A body's `transferJobID` must be a dashed
  uuid (System.Text.Json's only Guid form); `jobId` and `correlation-id` also take the other forms
  Guid.TryParse reads (32 digits, braces, parentheses). A POST body that is not JSON-typed is a 415.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from emulators.core.host import Host
from emulators.core.metrics import census
from emulators.core.service import ErrorAnswer, Progress, Service, lazy_mounts
from emulators.core.world import World
from emulators.relativity import timeline
from emulators.relativity.errors import render_error
from emulators.relativity.jobs import create_preset_job
from emulators.relativity.models import CORRELATION_HEADER
from emulators.relativity.sas import sign_container_url
from emulators.relativity.scenario import RelativitySection
from emulators.relativity.store import Account, RelativityStore, new_store, summary

API_PREFIX = "/transfer-service"
IDENTITY_PREFIX = "/Relativity/Identity"


def _render_error(request: Request, answer: ErrorAnswer) -> Response:
    """Every error in the documented `{statusCode, title, message}` body; the request's
    correlation-id comes back on error answers too."""
    message = "An unexpected error occurred." if answer.kind == "server_error" else answer.message
    headers = dict(answer.headers)
    correlation = request.headers.get(CORRELATION_HEADER)
    if correlation:
        headers[CORRELATION_HEADER] = correlation
    return render_error(answer.status, message, headers)


def _routes_at(prefix: str) -> Sequence[BaseRoute]:
    # Imported on the prefix's first request, not at start-up (see `lazy_mounts`).
    from emulators.relativity.routes import API_ROUTES, IDENTITY_ROUTES

    return {API_PREFIX: API_ROUTES, IDENTITY_PREFIX: IDENTITY_ROUTES}[prefix]


def routes(host: Host) -> list[BaseRoute]:
    return lazy_mounts(host, (API_PREFIX, IDENTITY_PREFIX), _routes_at, _render_error)


def build_store(world: World, section: RelativitySection | None) -> RelativityStore:
    section = section or RelativitySection()
    store = new_store(world, section)
    for preset in section.jobs:
        create_preset_job(store, preset, world.start + timedelta(seconds=preset.created))
    return store


SOURCE_SAS_EXPIRY = datetime(2099, 12, 31, tzinfo=UTC)
"""The expiry of the SAS URLs the start-up banner prints: fixed, so the same URL works in every run."""


def _source_sas_url(account: Account, container: str) -> str:
    """A list-and-read SAS URL for a container, as a job's `sourcePath` takes it (what the banner prints)."""
    return sign_container_url(
        f"https://{account.name}.blob.core.windows.net",
        account.name,
        container,
        account.key,
        permissions="rl",
        expiry=SOURCE_SAS_EXPIRY,
    )


def describe(store: Any, base: str) -> list[str]:
    assert isinstance(store, RelativityStore)
    lines = [
        f"API:            {base}{API_PREFIX}/api/v2",
        f"token endpoint: {base}{IDENTITY_PREFIX}/connect/token",
    ]
    lines += [
        f"client:         {cid} / {secret} ({user.name})" for cid, (secret, user) in store.clients.items()
    ]
    lines += [f"bearer token:   {token} ({grant.principal.name})" for token, grant in store.tokens]
    for account in store.accounts.values():
        lines.append(f"azure account:  {account.name} (containers: {', '.join(sorted(account.containers))})")
        lines += [
            f"source SAS URL: {_source_sas_url(account, container)}"
            for container in sorted(account.containers)
        ]
    return lines


SERVICE = Service(
    name="relativity",
    section=RelativitySection,
    build_store=build_store,
    routes=routes,
    render_error=_render_error,
    actions=timeline.ACTIONS,
    summary=summary,
    describe=describe,
    census=census("jobs", lambda job, now: job.status(now)[0]),
    prefixes_ignore_case=True,
    progress=Progress(
        "transferStatus",
        (
            "transferStatistics.successfulFiles",
            "transferStatistics.failedFiles",
            "transferStatistics.skippedFiles",
        ),
        "enumerationStatistics.totalFiles",
    ),
)
