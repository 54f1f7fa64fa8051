"""Amove transfers (doc, "Transfer Endpoints"): what a request selects, the cost, and each
transfer's life as a function of time.

Life of a transfer (doc: "status progresses Created → Running → Completed (or Error / Canceled)";
"Cancel Transfer": "transitions through Canceling and ends in Canceled"):

    Created   from the request until the dispatcher picks it up (`pickup_delay` later)
    Running   while the engine copies its objects; each finished object appears in the destination
    Completed every object copied or skipped          Error   some object failed
    Canceling from a cancel for `cancel_delay` s       Canceled after that

Everything is read from the engine at an instant; nothing is ticked. No Starlette here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from emulators.amove.cloudaccounts import bucket_of, find
from emulators.amove.errors import AmoveError
from emulators.amove.models import TransferRequest, cloud_account_document, human_size, iso, parse_uuid
from emulators.amove.scenario import CLOUD_PROVIDERS
from emulators.amove.store import AmoveStore, Bucket, CloudAccount, User
from emulators.core.engine import Transfer
from emulators.core.filesystem import Write, normalize
from emulators.core.storage import Entry, FileRange

# TransferStatus (doc, "Get All Transfers").
NONE, CREATED, RUNNING, COMPLETED, CANCELED, ERROR, CANCELING, PAUSING, PAUSED = (
    0,
    1,
    2,
    4,
    8,
    16,
    32,
    64,
    128,
)
# TransferType: only ad-hoc transfers are made here (no syncs).
TRANSFER_TYPE = 1
ALL_TYPES = 15
# Doc, "Transfer": who may initiate a transfer.
TRANSFER_ROLES = frozenset({1, 4, 16, 32})  # ProviderAdmin, AccountAdmin, DesktopAdmin, DesktopCreativeUser
_PROVIDER_NAMES = {value: name for name, value in CLOUD_PROVIDERS.items()}
BYTES_PER_GB = 10**9


@dataclass(frozen=True)
class Selection:
    """What a request selects: the objects to move, those skipped, and where each one goes."""

    source: CloudAccount
    source_bucket: Bucket
    destination: CloudAccount
    destination_bucket: Bucket
    files: FileRange
    skipped: int
    skipped_size: int
    target: Callable[[str], str]

    @property
    def bytes_to_move(self) -> int:
        return self.files.total_bytes


def _target(source_folder: str, destination_folder: str, keep_tree: bool) -> Callable[[str], str]:
    """Where an object's key goes (doc: keepSourceTree true preserves the structure under
    destinationPath, false flattens it)."""
    base = destination_folder + "/" if destination_folder else ""
    strip = len(source_folder) + 1 if source_folder else 0

    def target(key: str) -> str:
        return base + (key[strip:] if keep_tree else key.rsplit("/", 1)[-1])

    return target


def select(store: AmoveStore, user: User, request: TransferRequest, now: datetime) -> Selection:
    """The objects a request selects (doc: "A trailing / selects a folder; an exact key selects a
    single object"), less those allowSkip skips ("objects whose newer copy already exists at the
    destination"). Both accounts must be visible to the caller."""
    source = find(store, user, request.source_cloud_account_id, "sourceCloudAccountId")
    destination = find(store, user, request.destination_cloud_account_id, "destinationCloudAccountId")
    source_bucket = bucket_of(source, request.source_bucket)
    destination_bucket = bucket_of(destination, request.destination_bucket)
    key = normalize(request.source_path)
    if not key or request.source_path.endswith("/"):
        folder = key
        files = source_bucket.objects.files(key, now)
    else:
        entry = source_bucket.objects.stat(key, now)
        if entry is None or entry.kind == "dir":
            raise AmoveError("NOT_FOUND", f"The object {request.source_path!r} was not found.")
        folder = key.rsplit("/", 1)[0] if "/" in key else ""
        files = FileRange([entry], [])
    destination_folder = normalize(request.destination_path)
    target = _target(folder, destination_folder, request.keep_source_tree)
    skipped = skipped_size = 0
    # Only a destination folder that holds something can hold newer copies: look object by object then.
    if request.allow_skip and len(destination_bucket.objects.files(destination_folder, now)):
        kept = []
        for entry in files:
            existing = destination_bucket.objects.stat(target(entry.path), now)
            if existing is not None and existing.kind == "file" and existing.mtime > entry.mtime:
                skipped, skipped_size = skipped + 1, skipped_size + entry.size
            else:
                kept.append(entry)
        if skipped:
            files = FileRange(kept, [])
    return Selection(
        source, source_bucket, destination, destination_bucket, files, skipped, skipped_size, target
    )


def price_per_gb(store: AmoveStore, cloud: CloudAccount) -> float:
    """The egress price of the source's provider (scenario `prices`; a provider not listed is free)."""
    return store.section.prices.get(_PROVIDER_NAMES.get(cloud.cloud_type, ""), 0.0)


def cost(store: AmoveStore, selection: Selection) -> float:
    """Doc, "Calculate Cost": per-provider egress pricing times the bytes the transfer would move."""
    return round(selection.bytes_to_move / BYTES_PER_GB * price_per_gb(store, selection.source), 4)


class AmoveTransfer:
    """One transfer: its request, its engine plan and the instants that decide its status."""

    def __init__(
        self,
        store: AmoveStore,
        transfer_id: str,
        user: User,
        request: TransferRequest,
        selection: Selection,
        now: datetime,
        retry_of: str | None = None,
        apply_faults: bool = True,
    ) -> None:
        behaviour = store.section.behaviour
        self.id = transfer_id
        self.user_id = user.id
        self.account_id = user.account_id
        self.request = request
        self.selection = selection
        self.request_date = now
        self.pickup = now + timedelta(seconds=behaviour.pickup_delay)
        self.retry_of = retry_of
        self.cancel_delay = behaviour.cancel_delay
        self.canceled: datetime | None = None
        self.price = price_per_gb(store, selection.source)
        self.failures = _failures(store, selection) if apply_faults else {}
        self.engine = Transfer(selection.files, behaviour.rate, self.pickup, self.failures)
        target = selection.target

        def place(position: int, entry: Entry, finished: datetime) -> Write:
            return Write(Entry(target(entry.path), "file", entry.size, finished, entry.checksum))

        selection.destination_bucket.objects.attach(self.engine, place, self.failures)

    # -- life -------------------------------------------------------------------------------------

    def status(self, at: datetime) -> int:
        if at < self.pickup:
            return CREATED
        if self.canceled is not None and at >= self.canceled:
            return CANCELING if at < self.canceled + timedelta(seconds=self.cancel_delay) else CANCELED
        if at < self.engine.end:
            return RUNNING
        return ERROR if self.engine.progress(at).failed else COMPLETED

    def cancel(self, at: datetime) -> None:
        """Doc, "Cancel Transfer": only a Running transfer; it stops copying at once."""
        if self.status(at) != RUNNING:
            raise AmoveError("TRANSFER", "Only a running transfer can be canceled.")
        self.canceled = at
        self.engine.cancel(at)

    def end(self, at: datetime) -> datetime | None:
        """When it ended (Completed, Error or Canceled), if it has by `at`."""
        status = self.status(at)
        if status == CANCELED and self.canceled is not None:
            return self.canceled + timedelta(seconds=self.cancel_delay)
        return self.engine.end if status in (COMPLETED, ERROR) else None

    def finished(self, at: datetime) -> bool:
        return self.status(at) in (COMPLETED, ERROR, CANCELED)

    def failed_objects(self, at: datetime) -> list[tuple[Entry, str]]:
        """The objects that failed by `at`, in plan order, with their reasons."""
        positions = sorted(self.failures)
        processed = self.engine.progress(at).processed
        return [(self.engine.files[i], self.failures[i]) for i in positions if i < processed]

    # -- the record -------------------------------------------------------------------------------

    def record(self, at: datetime) -> dict[str, Any]:
        """The Transfer record at `at` (reference, B4: every field)."""
        progress = self.engine.progress(at)
        selection = self.selection
        total_size = self.engine.total_bytes + selection.skipped_size
        done_bytes = progress.succeeded_bytes + progress.failed_bytes + selection.skipped_size
        status = self.status(at)
        started = at >= self.pickup
        until = min(at, self.engine.end)
        seconds = (until - self.pickup).total_seconds() if started else 0.0
        percent = (
            100.0
            if status in (COMPLETED, ERROR)
            else (100.0 * done_bytes / total_size if total_size else 0.0)
        )
        return {
            "id": self.id,
            "userId": self.user_id,
            "syncCycleId": None,
            "sourceCloudAccountId": selection.source.id,
            "sourceBucket": self.request.source_bucket,
            "sourceRegion": selection.source_bucket.region,
            "sourcePath": self.request.source_path,
            "destinationCloudAccountId": selection.destination.id,
            "destinationBucket": self.request.destination_bucket,
            "destinationRegion": selection.destination_bucket.region,
            "destinationPath": self.request.destination_path,
            "requestDate": iso(self.request_date),
            "startDate": iso(self.pickup) if started else None,
            "endDate": iso(self.end(at)),
            "transferStatus": status,
            "transferType": TRANSFER_TYPE,
            "allowSkip": self.request.allow_skip,
            "allowDelete": False,
            "total": progress.total + selection.skipped,
            "failed": progress.failed,
            "deleted": 0,
            "skipped": selection.skipped,
            "skippedSize": selection.skipped_size,
            "transferred": progress.succeeded,
            "totalSize": total_size,
            "totalSizeString": human_size(total_size),
            "transferredSize": progress.succeeded_bytes,
            "transferredSizeString": human_size(progress.succeeded_bytes),
            "percent": round(percent, 2),
            "averageSpeed": round(progress.succeeded_bytes / seconds, 2) if seconds > 0 else 0.0,
            "transferredCost": round(progress.succeeded_bytes / BYTES_PER_GB * self.price, 4),
            "retryBatchTransferID": self.retry_of,
            "syncCycle": None,
            "sourceCloudAccount": cloud_account_document(selection.source),
            "destinationCloudAccount": cloud_account_document(selection.destination),
        }


def _failures(store: AmoveStore, selection: Selection) -> dict[int, str]:
    """Scenario data faults, matched on `cloud account name/bucket/key`."""
    if not store.faults:
        return {}
    prefix = f"{selection.source.name}/{selection.source_bucket.name}/"
    failures = {}
    for position, (path, _) in enumerate(selection.files.paths_and_sizes()):
        rule = store.faults.outcome(prefix + path)
        if rule is not None:
            failures[position] = rule.error
    return failures


def check_role(user: User) -> None:
    """Doc, "Transfer": "Regular AccountUser and DesktopStandardUser cannot initiate transfers."."""
    if user.type not in TRANSFER_ROLES:
        raise AmoveError("ACCESS", "Your role cannot initiate transfers.")


def owned(store: AmoveStore, user: User, transfer_id: object) -> AmoveTransfer:
    """A transfer of the caller's Amove account (doc, "Cancel Transfer": "Must belong to a user in
    the caller's Amove account")."""
    transfer = store.transfers.get(parse_uuid(transfer_id, "id"))
    if transfer is None:
        raise AmoveError("NOT_FOUND", "Transfer not found.")
    if transfer.account_id != user.account_id:
        raise AmoveError("ACCESS", "The transfer belongs to another account.")
    return transfer


def retry_selection(transfer: AmoveTransfer, at: datetime) -> Selection:
    """Doc, "Retry Transfer": only the failed objects of a finished transfer, to the same places."""
    if not transfer.finished(at):
        raise AmoveError("TRANSFER", "Only a finished transfer can be retried.")
    failed = [entry for entry, _ in transfer.failed_objects(at)]
    if not failed:
        raise AmoveError("TRANSFER", "The transfer has no failed files to retry.")
    old = transfer.selection
    return Selection(
        old.source,
        old.source_bucket,
        old.destination,
        old.destination_bucket,
        FileRange(failed, []),
        0,
        0,
        old.target,
    )
