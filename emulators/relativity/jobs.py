"""Transfer jobs and their six documented stages, driven by the core engine.

Doc, "Job stages" (EnumerationStatistics.Status / TransferStatus):
    queued                  / Queued       waiting for agent pickup (`behaviour.queue_delay`)
    inprogress              / InProgress   enumeration and copy under way; progress fields update
    failed                  / Failed       enumeration failed; the transfer fails regardless
    completed               / InProgress   every enumerated file copied; data validation runs
    completed               / Completed    every enumerated file transferred; QC report starts
    completed               / Failed       every file processed, some failed
The doc has progress update only in the second stage and validation begin in the fourth, so the
enumeration status reads `completed` once the copy of every enumerated file has ended (totalFiles
reaches its final value earlier, when listing ends). A cancelled job shows TransferStatus
`Cancelled` (enumeration `cancelled` if the copy had not ended).

The job's stages run on the engine's `Phases`: queue (`behaviour.queue_delay`) → startup (the agent
checks the source and prepares the destination, `behaviour.agent_startup`; shown as InProgress with
nothing listed yet) → copy (the engine transfer: enumeration and copy) → validation → report (QC
generation), each starting when the one before ends; a cancel ends the job in the phase it falls in.
With the default timing, startup and validation each last at least one 10 s refresh, so a status read
every 10 s sees every documented stage however small the job.

Doc, "Status updates approximately every 10 seconds": a read returns the snapshot taken at the last
refresh boundary (`behaviour.statistics_interval` after creation, and so on); a cancel and the job's
end refresh it at once, so GET and DELETE never disagree about whether a job has finished.
Everything is computed from the clock, so a read is O(log n) whatever the job's size.
"""

from __future__ import annotations

import functools
import json
import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from emulators.core.engine import Progress, Transfer
from emulators.core.phases import Phases
from emulators.relativity import auth
from emulators.relativity.errors import (
    COPY_SOURCE_DENIED,
    LISTING_DENIED,
    bad_request,
    er_code,
    er_message,
    forbidden,
)
from emulators.relativity.fileshare import DestinationError, FilesharePath, parse_destination
from emulators.relativity.models import CreateTransferRequest
from emulators.relativity.plan import Plan, enumeration_refusal, make_plan
from emulators.relativity.sas import SasError, SasUrl, parse_sas_url
from emulators.relativity.scenario import PresetJob, User
from emulators.relativity.store import RelativityStore

AZURE_TO_R1 = "AzureToR1"


@dataclass
class TransferJob:
    """One job: its request, its plan on the engine and its milestones."""

    job_id: str
    transfer_type: str
    source: SasUrl
    destination: FilesharePath
    tags: dict[str, str] | None
    created: datetime
    pickup: datetime
    interval: float
    plan: Plan | None
    transfer: Transfer | None
    enumeration_failure: tuple[datetime, str] | None
    phases: Phases | None  # queue → copy → validation → report; None when the copy never starts
    cancelled_at: datetime | None = None
    _cached: tuple[datetime, datetime, object, bytes] | None = field(default=None, repr=False, compare=False)

    @property
    def is_cloud(self) -> bool:
        return self.transfer_type == AZURE_TO_R1

    @property
    def enumeration_end(self) -> datetime | None:
        """When enumeration completed (None if it never does)."""
        if self.enumeration_failure is not None or self.transfer is None:
            return None
        return self.transfer.enumeration_end

    @property
    def copy_end(self) -> datetime | None:
        """When every enumerated file has been copied or has failed (None if that never happens)."""
        if self.phases is None or self.enumeration_failure is not None:
            return None
        return self.phases.completed_at("copy")

    @property
    def validation_end(self) -> datetime | None:
        """When the job reaches its final status (None for a job whose enumeration fails)."""
        if self.phases is None or self.copy_end is None:
            return None
        return self.phases.planned_end("validation")

    @property
    def finished_at(self) -> datetime:
        if self.enumeration_failure is not None:
            return self.enumeration_failure[0]
        assert self.validation_end is not None
        return self.validation_end

    @property
    def qc_ready_at(self) -> datetime | None:
        """When the QC report can be fetched; None if this job never gets one."""
        if self.phases is None or self.copy_end is None:
            return None
        return self.phases.completed_at("report")

    def qc_ready(self, at: datetime) -> bool:
        """Doc: the report needs enumeration completed and TransferStatus Failed or Completed, as a
        status read at `at` shows them (its last snapshot), and then the time to generate it."""
        ready = self.qc_ready_at
        if ready is None or at < ready:
            return False
        transfer_status, enumeration_status, _ = self.status(self.snapshot_time(at))
        return enumeration_status == "completed" and transfer_status in ("Completed", "Failed")

    @functools.cached_property
    def validation_failures(self) -> tuple[int, int]:
        """(files, bytes) that fail at the end of validation: of the files it judges, those the copy
        had not already failed (an abort, e.g. an expired SAS, fails files validation would judge)."""
        transfer = self.transfer
        if self.plan is None or transfer is None:
            return 0, 0
        stop = transfer.stop
        positions = [
            i
            for i in self.plan.validation_failures
            if stop is None or stop.code is None or transfer.finished_at(i) <= stop.at
        ]
        return len(positions), sum(transfer.size(i) for i in positions)

    def fail_enumeration(self, at: datetime, code: str) -> None:
        """Enumeration fails at `at` (kept if an earlier failure was already planned)."""
        if self.enumeration_failure is None or at < self.enumeration_failure[0]:
            self.enumeration_failure = (at, code)
        if self.transfer is not None and at <= self.transfer.start:
            self.transfer = self.phases = None

    def is_finished(self, at: datetime) -> bool:
        return at >= self.finished_at

    def snapshot_time(self, at: datetime) -> datetime:
        """The refresh boundary whose statistics a read at `at` sees."""
        return self._snapshot_window(at)[0]

    def _snapshot_window(self, at: datetime) -> tuple[datetime, datetime]:
        """(the snapshot a read at `at` sees, the next refresh boundary).

        A cancel and the job's end refresh the snapshot at once, so a read never shows a job running
        that DELETE calls finished (our reading of "Status updates approximately every 10 seconds")."""
        steps = max(math.floor((at - self.created).total_seconds() / self.interval), 0)
        snapshot = self.created + timedelta(seconds=steps * self.interval)
        following = self.created + timedelta(seconds=(steps + 1) * self.interval)
        end = self.finished_at if self.cancelled_at is None else self.cancelled_at
        if snapshot < end <= at:
            snapshot = end
        elif at < end < following:
            following = end
        return snapshot, following

    def cancel(self, at: datetime) -> None:
        """Doc, DELETE: cancel an in-progress Cloud transfer job, or say why not (400)."""
        if not self.is_cloud:
            raise bad_request("The job is not a Cloud transfer job.")
        if self.cancelled_at is not None:
            raise bad_request("The job is already cancelled.")
        if self.is_finished(at):
            raise bad_request("The job is already finished.")
        self.cancelled_at = at
        if self.phases is not None:
            self.phases.cancel(at)

    def status(self, at: datetime) -> tuple[str, str, str | None]:
        """(transferStatus, enumeration status, enumeration error) at `at`."""
        cancelled_at = self.cancelled_at
        cancelled = cancelled_at is not None and cancelled_at <= at
        failure = self.enumeration_failure
        if (
            failure is not None
            and failure[0] <= at
            and not (cancelled_at is not None and cancelled and cancelled_at < failure[0])
        ):
            return "Failed", "failed", er_message(failure[1])
        copied = self.copy_end is not None and self.copy_end <= at
        if cancelled and cancelled_at is not None:
            listed = self.enumeration_end is not None and self.enumeration_end <= cancelled_at
            return "Cancelled", "completed" if copied or listed else "cancelled", None
        if at < self.pickup:
            return "Queued", "queued", None
        if not copied:
            return "InProgress", "inprogress", None
        assert self.validation_end is not None
        if at < self.validation_end:
            return "InProgress", "completed", None
        c = self.counters(at)
        return (
            ("Failed" if c["failedFiles"] or c["failedEmptyDirectories"] else "Completed"),
            "completed",
            None,
        )

    def counters(self, at: datetime) -> dict[str, int]:
        """TransferStatistics plus the enumeration totals at `at`."""
        progress = self.transfer.progress(at) if self.transfer is not None else None
        succeeded, failed, succeeded_bytes, failed_bytes = _split(progress)
        validated = (
            self.validation_end is not None and at >= self.validation_end and self.cancelled_at is None
        )
        if validated and self.plan is not None and self.transfer is not None:
            moved, moved_bytes = self.validation_failures
            succeeded, failed = succeeded - moved, failed + moved
            succeeded_bytes, failed_bytes = succeeded_bytes - moved_bytes, failed_bytes + moved_bytes
        enumerated = self.enumeration_end is not None and at >= self.enumeration_end
        plan = self.plan if self.plan is not None and enumerated else None
        empty = plan.empty_directories if plan is not None else 0
        broken = plan.failed_empty_directories if plan is not None else 0
        # Empty directories are made when the copy ends; a cancel before then skips them, and every
        # enumerated file the copy had not reached (our reading of the skipped* counters).
        cancelled = self.cancelled_at is not None and at >= self.cancelled_at
        made = self.copy_end is not None and at >= self.copy_end  # None once a cancel cut the copy
        skipped = skipped_bytes = 0
        if cancelled and progress is not None:
            skipped = progress.enumerated - progress.processed
            skipped_bytes = progress.enumerated_bytes - progress.succeeded_bytes - progress.failed_bytes
        return {
            "successfulFiles": succeeded,
            "failedFiles": failed,
            "skippedFiles": skipped,
            "successfulBytes": succeeded_bytes,
            "failedBytes": failed_bytes,
            "skippedBytes": skipped_bytes,
            "successfulEmptyDirectories": empty - broken if made else 0,
            "failedEmptyDirectories": broken if made else 0,
            "skippedEmptyDirectories": empty - broken if cancelled and not made else 0,
            "totalFiles": progress.enumerated if progress else 0,
            "totalSize": progress.enumerated_bytes if progress else 0,
            "totalEmptyDirectories": empty,
        }

    def document_json(self, at: datetime) -> bytes:
        """`document(at)` as JSON, reused until the next refresh or change (status reads are hot)."""
        stop = self.transfer.stop if self.transfer is not None else None
        state = (self.cancelled_at, self.enumeration_failure, stop, id(self.transfer))
        cached = self._cached
        if cached is None or cached[2] != state or not cached[0] <= at < cached[1]:
            start, end = self._snapshot_window(at)
            text = json.dumps(self.document(at), ensure_ascii=False, separators=(",", ":"))
            cached = self._cached = (start, end, state, text.encode())
        return cached[3]

    def document(self, at: datetime) -> dict[str, Any]:
        """GetJobResultv2 as a read at `at` sees it (the last refreshed snapshot)."""
        snapshot = self.snapshot_time(at)
        transfer_status, enumeration_status, error = self.status(snapshot)
        c = self.counters(snapshot)
        return {
            "transferStatus": transfer_status,
            "transferJobID": self.job_id,
            "destinationFullPath": self.destination.full,
            "sourceFullPath": self.source.url.split("?", 1)[0],
            "tags": self.tags,
            "transferStatistics": {
                key: c[key]
                for key in (
                    "successfulFiles",
                    "failedFiles",
                    "skippedFiles",
                    "successfulBytes",
                    "failedBytes",
                    "skippedBytes",
                    "successfulEmptyDirectories",
                    "failedEmptyDirectories",
                    "skippedEmptyDirectories",
                )
            },
            "enumerationStatistics": {
                "totalFiles": c["totalFiles"],
                "totalSize": c["totalSize"],
                "totalEmptyDirectories": c["totalEmptyDirectories"],
                "status": enumeration_status,
                "error": error,
            },
            "transferType": self.transfer_type,
        }


def _split(progress: Progress | None) -> tuple[int, int, int, int]:
    if progress is None:
        return 0, 0, 0, 0
    return progress.succeeded, progress.failed, progress.succeeded_bytes, progress.failed_bytes


def start_job(
    store: RelativityStore,
    job_id: str,
    source: SasUrl,
    destination: FilesharePath,
    tags: dict[str, str] | None,
    created: datetime,
    transfer_type: str = AZURE_TO_R1,
) -> TransferJob:
    """Register a job and lay out its whole future on the engine."""
    behaviour = store.behaviour
    account = store.accounts[source.account]
    pickup = created + timedelta(seconds=behaviour.queue_delay)
    plan: Plan | None = None
    transfer: Transfer | None = None
    failure: tuple[datetime, str] | None = None
    refusal = enumeration_refusal(source, account, pickup)
    if refusal is not None:
        failure = (pickup, er_code(refusal))
    else:
        plan = make_plan(source, account, store.data_faults, destination, behaviour)
        listing = pickup + timedelta(seconds=behaviour.agent_startup)
        transfer = Transfer(
            plan.files,
            behaviour.rate,
            listing,
            plan.failures,
            delays=plan.copy_delays,
            enumeration_delays=plan.listing_delays,
        )
        if plan.enumeration_failure is not None:
            position, code = plan.enumeration_failure
            at = listing + timedelta(seconds=transfer.enumerated_after(position))
            failure = (at, code)
            transfer.abort(at, code)
        expiry = source.valid_until
        if expiry is not None and expiry < transfer.natural_end:
            transfer.abort(expiry, er_code(COPY_SOURCE_DENIED))
            if expiry < transfer.enumeration_end and failure is None:
                failure = (expiry, er_code(LISTING_DENIED))
    files = len(plan.files) if plan is not None else 0
    phases = None
    if transfer is not None:
        stages: list[tuple[str, float | Transfer]] = [
            ("queue", behaviour.queue_delay),
            ("startup", behaviour.agent_startup),
            ("copy", transfer),
            ("validation", behaviour.validation.seconds(files) + (plan.validation_delay if plan else 0)),
            ("report", behaviour.qc_report.seconds(files)),
        ]
        phases = Phases(created, stages)
    job = TransferJob(
        job_id=job_id,
        transfer_type=transfer_type,
        source=source,
        destination=destination,
        tags=tags,
        created=created,
        pickup=pickup,
        interval=behaviour.statistics_interval,
        plan=plan,
        transfer=transfer,
        enumeration_failure=failure,
        phases=phases,
    )
    store.jobs[job_id] = job
    return job


def check_source(store: RelativityStore, source_path: str, now: datetime) -> SasUrl:
    """Doc, "Source requirements": a SAS URL with Read and List, valid for at least 7 more days. Any
    kind the doc's "a valid SAS Url" covers: service (container or directory), account or user
    delegation SAS; whether it is signed is for the listing to find out."""
    try:
        source = parse_sas_url(source_path)
    except SasError as exc:
        raise bad_request(str(exc)) from None
    if not source.is_account_sas and source.resource not in ("c", "d"):
        raise bad_request(
            "sourcePath must be an account SAS or a container or directory SAS URL (sr=c or sr=d)."
        )
    if not {"r", "l"} <= set(source.permissions):
        raise bad_request("sourcePath SAS token must grant Read and List permissions (sp=rl).")
    minimum = timedelta(seconds=store.behaviour.minimum_sas_lifetime)
    if source.expiry is None or source.expiry < now + minimum:
        raise bad_request("sourcePath SAS token must be valid for at least 7 days (se).")
    if source.account not in store.accounts:
        raise bad_request(f"sourcePath storage account '{source.account}' is not reachable.")
    return source


def check_destination(destination_path: str, user: User | None) -> FilesharePath:
    """A RelativityOne fileshare path under a writable staging folder that the user can reach."""
    try:
        destination = parse_destination(destination_path)
    except DestinationError as exc:
        raise bad_request(str(exc)) from None
    if user is not None and not auth.can_write(user, destination):
        raise forbidden("The user has no access to the destination fileshare.")
    return destination


def create_job(
    store: RelativityStore, request: CreateTransferRequest, user: User, now: datetime
) -> TransferJob:
    """POST v2/transfer/jobs: validate against the World, then queue the job."""
    if request.transfer_job_id in store.jobs:
        raise bad_request(f"A transfer job with transferJobID {request.transfer_job_id} already exists.")
    if request.transfer_type not in (None, AZURE_TO_R1):
        raise bad_request(f"transferType must be {AZURE_TO_R1}.")
    source = check_source(store, request.source_path, now)
    destination = check_destination(request.destination_path, user)
    return start_job(store, request.transfer_job_id, source, destination, request.tags, now)


def create_preset_job(store: RelativityStore, preset: PresetJob, created: datetime) -> TransferJob:
    """A job the scenario says exists already (checked when the scenario was validated)."""
    source = parse_sas_url(preset.sourcePath)
    destination = parse_destination(preset.destinationPath)
    job_id = str(uuid.UUID(preset.transferJobID))
    return start_job(store, job_id, source, destination, preset.tags, created, preset.transferType)
