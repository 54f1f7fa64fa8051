"""Amove transfers (doc, "Transfer Endpoints"): what a request selects, the cost, and each
transfer's life as a function of time.

Life of a transfer (doc: "status progresses Created → Running → Completed (or Error / Canceled)";
"Cancel Transfer": "transitions through Canceling and ends in Canceled"):

    Created   from the request until the dispatcher picks it up (`pickup_delay` later)
    Running   while the engine copies its objects; each finished object appears in the destination
    Completed every object copied or skipped          Error   some object failed
    Canceling from a cancel for `cancel_delay` s       Canceled after that

World events (`emulators.amove.timeline`) stop a transfer early: revoked credentials, a destination
bucket over its quota, or a provider outage it gave up waiting out. Each is a stop with a reason;
the earliest stop is the engine's, and from it every object not yet copied fails with that reason
(those the engine had not listed yet too). An outage also holds the transfer: its work clock
stands still while a provider it touches is down.

Everything is read from the engine at an instant; nothing is ticked. No Starlette here.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from emulators.amove.cloudaccounts import bucket_of, find
from emulators.amove.errors import AmoveError
from emulators.amove.models import TransferRequest, cloud_account_document, human_size, iso, parse_uuid
from emulators.amove.scenario import CLOUD_PROVIDERS
from emulators.amove.store import AmoveStore, Bucket, CloudAccount, Outage, User
from emulators.core.engine import Progress, Stop, Transfer
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
CANCEL = "cancel"  # the key of a cancel among a transfer's stops


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
        self.version = 0  # counts changes of its plan (stops, holds, a cancel)
        self.engine.watch(self._changed)
        self._stops: dict[Hashable, Stop] = {}  # why (a cancel, an account, an outage) -> its stop
        self._held_by: set[Outage] = set()
        self._quota = _quota_cut(store, self, now)
        target = selection.target

        def place(position: int, entry: Entry, finished: datetime) -> Write:
            return Write(Entry(target(entry.path), "file", entry.size, finished, entry.checksum))

        selection.destination_bucket.objects.attach(self.engine, place, self.failures)
        self._restop()
        # World events already going on when it is requested meet it at its pickup.
        for cloud in {
            selection.source.id: selection.source,
            selection.destination.id: selection.destination,
        }.values():
            if cloud.revoked:
                self.stop(credentials(cloud), Stop(self.pickup, revoked_reason(cloud)))
        for outage in store.down:
            if self.touched_by(outage):
                self.hold(outage, self.pickup, give_up(store, outage, self.pickup))

    # -- life -------------------------------------------------------------------------------------

    def status(self, at: datetime) -> int:
        if at < self.pickup:
            return CREATED
        if self.canceled is not None and at >= self.canceled:
            return CANCELING if at < self.canceled + timedelta(seconds=self.cancel_delay) else CANCELED
        if at < self.engine.end:
            return RUNNING
        return ERROR if self.aborted(at) or self.engine.progress(at).failed else COMPLETED

    def cancel(self, at: datetime) -> None:
        """Doc, "Cancel Transfer": only a Running transfer; it stops copying at once."""
        if self.status(at) != RUNNING:
            raise AmoveError("TRANSFER", "Only a running transfer can be canceled.")
        self.canceled = at
        self._changed()
        self.stop(CANCEL, Stop(at, None))

    def _changed(self) -> None:
        self.version += 1

    def stop(self, why: Hashable, stop: Stop | None) -> None:
        """Plan (or with None, drop) one reason to stop; the earliest planned stop is the engine's."""
        if stop is None:
            self._stops.pop(why, None)
        else:
            self._stops[why] = stop
        self._restop()

    def stop_for(self, why: Hashable) -> Stop | None:
        return self._stops.get(why)

    def _restop(self) -> None:
        stops = list(self._stops.values())
        if self._quota is not None:
            position, reason = self._quota
            # The bucket is full when the object before the first that does not fit has been copied.
            full = self.engine.finished_at(position - 1) if position else self.pickup
            stops.append(Stop(max(full, self.pickup), reason))
        self.engine.stop_at(min(stops, key=lambda stop: stop.at) if stops else None)

    def hold(self, outage: Outage, at: datetime, give_up: Stop) -> None:
        """A provider it touches went down at `at`: nothing moves until `release`, and the transfer
        gives up (`give_up`) if the outage lasts until then."""
        if not self._held_by:
            self.engine.pause(at)
        self._held_by.add(outage)
        self.stop(outage, give_up)

    def release(self, outage: Outage, at: datetime) -> None:
        """The provider is back at `at`: the transfer goes on, unless it gave up already."""
        if outage not in self._held_by:
            return
        self._held_by.discard(outage)
        given_up = self._stops.get(outage)
        if given_up is not None and given_up.at > at:
            self._stops.pop(outage)
        if not self._held_by:
            self.engine.resume(at)
        self._restop()

    def aborted(self, at: datetime) -> bool:
        """Whether a stop with a reason (not a cancel) has ended it by `at`."""
        return self._abort(at) is not None

    def _abort(self, at: datetime) -> str | None:
        """The reason of the stop that has ended it by `at`, unless that was a cancel."""
        stop = self.engine.stop
        return stop.code if stop is not None and stop.at <= at else None

    def touches(self, cloud: CloudAccount) -> bool:
        return cloud is self.selection.source or cloud is self.selection.destination

    def touched_by(self, outage: Outage) -> bool:
        selection = self.selection
        return outage.touches(selection.source, selection.source_bucket) or outage.touches(
            selection.destination, selection.destination_bucket
        )

    def active(self, at: datetime) -> bool:
        """Created or Running: world events still change it."""
        return self.status(at) in (CREATED, RUNNING)

    def end(self, at: datetime) -> datetime | None:
        """When it ended (Completed, Error or Canceled), if it has by `at`."""
        status = self.status(at)
        if status == CANCELED and self.canceled is not None:
            return self.canceled + timedelta(seconds=self.cancel_delay)
        return self.engine.end if status in (COMPLETED, ERROR) else None

    def finished(self, at: datetime) -> bool:
        return self.status(at) in (COMPLETED, ERROR, CANCELED)

    def progress(self, at: datetime) -> Progress:
        """The engine's counters, where a stop with a reason also fails what it had not listed yet."""
        progress = self.engine.progress(at)
        if not self.aborted(at):
            return progress
        return replace(
            progress,
            processed=progress.total,
            failed=progress.total - progress.succeeded,
            failed_bytes=self.engine.total_bytes - progress.succeeded_bytes,
        )

    def _cut(self, at: datetime) -> int:
        """How many objects were done (copied, or failed on their own) before a stop ended the rest."""
        return self.engine.processed_by(at)

    def failed_objects(self, at: datetime) -> Iterator[tuple[Entry, str]]:
        """The objects that failed by `at`, in plan order, with their reasons."""
        cut = self._cut(at)
        files = self.engine.files
        yield from ((files[i], self.failures[i]) for i in sorted(self.failures) if i < cut)
        reason = self._abort(at)
        if reason is not None:
            for position, entry in enumerate(_tail(files, cut), cut):
                yield entry, self.failures.get(position, reason)

    def failed_range(self, at: datetime) -> FileRange:
        """The failed objects as a plan of their own (a retry's), in plan order."""
        cut = self._cut(at)
        head = [self.engine.files[i] for i in sorted(self.failures) if i < cut]
        if not self.aborted(at):
            return FileRange(head, [])
        tail = _tail(self.engine.files, cut)
        return FileRange(head + tail.explicit, tail.generated)

    @property
    def planned_bytes(self) -> int:
        """The bytes it means to write at the destination: all but its failures and what a full
        bucket refuses."""
        end = self._quota[0] if self._quota is not None else self.engine.total
        return _writes_before(self, end)

    # -- the record -------------------------------------------------------------------------------

    def record(self, at: datetime) -> dict[str, Any]:
        """The Transfer record at `at` (reference, B4: every field)."""
        progress = self.progress(at)
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


def credentials(cloud: CloudAccount) -> Hashable:
    """The key of the stop a cloud account's revoked credentials put on a transfer."""
    return ("credentials", cloud.id)


def revoked_reason(cloud: CloudAccount) -> str:
    return f"InvalidAccessKeyId: the provider refused the credentials of cloud account {cloud.name!r}"


def give_up(store: AmoveStore, outage: Outage, since: datetime) -> Stop:
    """When a transfer held by an outage from `since` stops waiting (`behaviour.outage_retry`)."""
    waited = store.section.behaviour.outage_retry
    where = _PROVIDER_NAMES[outage.provider] + (f" ({outage.region})" if outage.region else "")
    reason = f"ServiceUnavailable: {where} did not answer for {waited:g} s; the copy gave up"
    return Stop(since + timedelta(seconds=waited), reason)


def _failures(store: AmoveStore, selection: Selection) -> dict[int, str]:
    """Scenario data faults, matched on `cloud account name/bucket/key`. Only the rules that can
    match in the source bucket are tried, on only the objects under their literal heads: a rule
    for another folder costs nothing, and one for a few files of a million-object set a few lookups."""
    location = f"{selection.source.name}/{selection.source_bucket.name}/"
    faults = store.faults.within(location)
    if not faults:
        return {}
    heads = {head[len(location) :] for head in faults.heads()}
    failures = {}
    for position, path in _under(selection.files, heads):
        rule = faults.outcome(location + path)
        if rule is not None:
            failures[position] = rule.error
    return failures


def _under(files: FileRange, heads: set[str]) -> Iterator[tuple[int, str]]:
    """(position, path) of the files whose path starts with one of `heads`, in plan order. Generated
    names sort in index order, so each head is a binary search in each generated set."""
    if "" in heads:
        yield from enumerate(files.paths())
        return
    for position, entry in enumerate(files.explicit):
        if entry.path.startswith(tuple(heads)):
            yield position, entry.path
    for first, generated, lo, hi in itertools.islice(files.segments(), 1, None):
        assert generated is not None  # every segment after the first is a generated set
        spans = sorted(_span(generated.path, lo, hi, head) for head in heads)
        done = lo
        for start, stop in spans:
            start = max(start, done)
            for index, path in enumerate(generated.paths(start, stop), start):
                yield first + index - lo, path
            done = max(done, stop)


def _span(path: Callable[[int], str], lo: int, hi: int, head: str) -> tuple[int, int]:
    """The indices in lo..hi-1 whose path starts with `head` (paths sort in index order)."""
    start = bisect.bisect_left(range(lo, hi), head, key=path) + lo
    past = head[:-1] + chr(ord(head[-1]) + 1)  # the least string above every one starting with head
    return start, bisect.bisect_left(range(lo, hi), past, key=path) + lo


def _tail(files: FileRange, start: int) -> FileRange:
    """The files from position `start` on, sharing the generated sets (nothing is listed)."""
    skip = max(0, start - len(files.explicit))
    generated = []
    for gen, lo, hi in files.generated:
        if skip < hi - lo:
            generated.append((gen, lo + skip, hi))
        skip = max(0, skip - (hi - lo))
    return FileRange(files.explicit[start:], generated)


def _writes_before(transfer: AmoveTransfer, end: int) -> int:
    """The bytes of the objects before position `end` that do not fail on their own."""
    cumulative = transfer.engine.files.cumulative()
    return cumulative[end] - sum(transfer.engine.size(i) for i in transfer.failures if i < end)


def _quota_cut(store: AmoveStore, transfer: AmoveTransfer, now: datetime) -> tuple[int, str] | None:
    """Where a destination bucket with a quota fills up: the first object that does not fit, and
    the reason. Room is claimed in the order transfers are requested: the bucket's bytes now, plus
    what the transfers into it requested earlier still mean to write."""
    bucket = transfer.selection.destination_bucket
    if bucket.quota is None:
        return None
    claimed = bucket.objects.files("", now).total_bytes + sum(
        other.planned_bytes - other.progress(now).succeeded_bytes
        for other in store.transfers.values()
        if other.selection.destination_bucket is bucket and not other.finished(now)
    )
    room = bucket.quota - claimed
    failing = sorted(transfer.failures)
    sizes = list(itertools.accumulate((transfer.engine.size(i) for i in failing), initial=0))
    cumulative = transfer.engine.files.cumulative()

    def written(i: int) -> int:  # bytes written once object i is done
        return cumulative[i + 1] - sizes[bisect.bisect_right(failing, i)]

    position = bisect.bisect_right(range(transfer.engine.total), room, key=written)
    if position == transfer.engine.total:
        return None
    cloud = transfer.selection.destination
    return (
        position,
        f"QuotaExceeded: bucket {bucket.name!r} of {cloud.name!r} is over its quota of {bucket.quota} bytes",
    )


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
    failed = transfer.failed_range(at)
    if not len(failed):
        raise AmoveError("TRANSFER", "The transfer has no failed files to retry.")
    old = transfer.selection
    return Selection(
        old.source, old.source_bucket, old.destination, old.destination_bucket, failed, 0, 0, old.target
    )
