"""The QC report: a CSV behind a short-lived SAS URL, 404 until it has been generated.

Doc, "How to get QC report": after a transfer completes (TransferStatus Completed or Failed with
enumeration completed) a report is generated, which takes longer the more files there are; until
then `GET .../qc` is 404. The report has the columns `file,size,status,error_code`, one row per file.
The emulator serves the report itself, path-style like an Azure blob, through the core's signed
downloads: the URL is an Azure SAS signed with a key the World's link signer derives (never from the
seed, so it cannot be forged, and a reset revokes it), built from the server's public base URL, and
expires after `behaviour.qc_url_lifetime`.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import re
import zlib
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from emulators.core.downloads import Download
from emulators.relativity.jobs import TransferJob
from emulators.relativity.sas import SasError, SasUrl, sign_blob_url, verify_signature
from emulators.relativity.store import RelativityStore

REPORT_ACCOUNT = "transfer-service"
REPORT_CONTAINER = "qc"
REPORT_NAME = "qc-report.csv"
COLUMNS = ("file", "size", "status", "error_code")
HEADER = (",".join(COLUMNS) + "\n").encode()
_NEEDS_QUOTES = re.compile(r'[,"\n]')  # what makes csv's minimal quoting (lineterminator "\n") quote
ROWS_PER_CHUNK = 2000


def report_url(store: RelativityStore, job: TransferJob, origin: str, now: datetime) -> str:
    """A signed, read-only URL of the job's report, valid for the configured lifetime."""
    expiry = now + timedelta(seconds=store.behaviour.qc_url_lifetime)
    return sign_blob_url(
        f"{origin}/{REPORT_ACCOUNT}",
        REPORT_ACCOUNT,
        REPORT_CONTAINER,
        f"{job.job_id}/{REPORT_NAME}",
        store.report_key,
        permissions="r",
        expiry=expiry,
        start=now,
    )


def check_report_url(
    store: RelativityStore, job_id: str, query: Mapping[str, str], now: datetime
) -> str | None:
    """None if the query signs a valid, unexpired read of the job's report; else an Azure error code."""
    blob = f"{job_id}/{REPORT_NAME}"
    sas = SasUrl("", "", "", None, REPORT_ACCOUNT, "emulator", REPORT_CONTAINER, blob, dict(query))
    try:
        if not verify_signature(sas, store.report_key):
            return "AuthenticationFailed"
    except SasError:
        return "AuthenticationFailed"
    if "r" not in sas.permissions:
        return "AuthorizationPermissionMismatch"
    if (sas.expiry is not None and now >= sas.expiry) or (sas.start is not None and now < sas.start):
        return "AuthenticationFailed"
    return None


def report_chunks(job: TransferJob, first: int = 0) -> Iterator[bytes]:
    """The CSV as bytes, from chunk `first` on: chunk 0 is the header, chunk k ≥ 1 holds rows
    (k - 1) * ROWS_PER_CHUNK onwards. A million-file report is never held in memory."""
    assert job.transfer is not None and job.plan is not None and job.validation_end is not None
    prefix = len(job.plan.prefix)
    validation = job.plan.validation_failures
    if first == 0:
        yield HEADER
    position = max(0, first - 1) * ROWS_PER_CHUNK
    outcomes = job.transfer.outcomes(job.validation_end, position)
    while chunk := list(itertools.islice(outcomes, ROWS_PER_CHUNK)):
        lines = []
        for path, size, code in chunk:
            lines.append(row(path[prefix:], size, code or validation.get(position)))
            position += 1
        # As .NET writes UTF-8: a name with an unpaired surrogate gets a replacement in its place.
        yield "".join(lines).encode("utf-8", "replace")


def report_blob(store: RelativityStore, job: TransferJob) -> Download:
    """The job's report as a blob; its layout is worked out once (a report never changes)."""
    layout = store.qc_layouts.get(job.job_id)
    if layout is None:
        layout = store.qc_layouts[job.job_id] = ReportLayout.of(job)
    assert job.qc_ready_at is not None
    etag = '"0x' + hashlib.sha256(job.job_id.encode()).hexdigest()[:15].upper() + '"'
    return Download(layout.size, etag, job.qc_ready_at, "text/csv", layout.read)


@dataclass(frozen=True)
class ReportLayout:
    """A report made once: its chunks, compressed, where each starts in bytes, and its size.

    Azure clients ask for the size first (a ranged read answers it in Content-Range), so the whole
    report is generated before its first byte goes out; keeping the chunks (compressed: a
    million-row report takes a few MiB) means that is the only time it is generated, and a ranged
    read starts at the chunk holding its first byte.
    """

    chunks: tuple[bytes, ...]
    starts: array[int]
    size: int

    @classmethod
    def of(cls, job: TransferJob) -> ReportLayout:
        chunks, lengths = [], []
        for data in report_chunks(job):
            chunks.append(zlib.compress(data, 1))
            lengths.append(len(data))
        starts = array("q", itertools.accumulate(lengths, initial=0))
        return cls(tuple(chunks), starts[:-1], starts[-1])

    def read(self, first: int, last: int) -> Iterator[bytes]:
        """Bytes `first`..`last` (inclusive) of the report."""
        chunk = bisect.bisect_right(self.starts, first) - 1
        offset = self.starts[chunk]
        for compressed in self.chunks[chunk:]:
            data = zlib.decompress(compressed)
            begin, end = max(first - offset, 0), min(last + 1 - offset, len(data))
            if begin < end:
                yield data[begin:end]
            offset += len(data)
            if offset > last:
                return


def row(name: str, size: int, code: str | None) -> str:
    """One CSV line of the report, quoted as csv.writer quotes (minimally), written directly: a
    million rows through csv.writer took seconds."""
    if _NEEDS_QUOTES.search(name):
        name = '"' + name.replace('"', '""') + '"'
    return f"{name},{size},failed,{code}\n" if code else f"{name},{size},completed,\n"
