"""The QC report: a CSV behind a short-lived SAS URL, 404 until it has been generated.

Doc, "How to get QC report": after a transfer completes (TransferStatus Completed or Failed with
enumeration completed) a report is generated, which takes longer the more files there are; until
then `GET .../qc` is 404. The report has the columns `file,size,status,error_code`, one row per file.
The emulator serves the report itself, path-style like an Azure blob: the URL carries a signature
made with a per-World key and expires after `behaviour.qc_url_lifetime`.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta

from emulators.relativity.jobs import TransferJob
from emulators.relativity.sas import SasError, SasUrl, sign_blob_url, verify_signature
from emulators.relativity.store import RelativityStore

REPORT_ACCOUNT = "transfer-service"
REPORT_CONTAINER = "qc"
REPORT_NAME = "qc-report.csv"
COLUMNS = ("file", "size", "status", "error_code")
_ROWS_PER_CHUNK = 2000


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


def report_rows(job: TransferJob) -> Iterator[str]:
    """The CSV text, a chunk of rows at a time (a million-file report is never held in memory)."""
    assert job.transfer is not None and job.plan is not None and job.validation_end is not None
    prefix = len(job.plan.prefix)
    validation = job.plan.validation_failures
    outcomes = job.transfer.outcomes(job.validation_end)
    yield _csv([COLUMNS])
    position = 0
    while chunk := list(itertools.islice(outcomes, _ROWS_PER_CHUNK)):
        rows = []
        for path, size, code in chunk:
            code = code or validation.get(position)
            rows.append((path[prefix:], size, "failed" if code else "completed", code or ""))
            position += 1
        yield _csv(rows)


def _csv(rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()
