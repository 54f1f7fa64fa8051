"""Failed objects (doc, "Retry Transfer" and "Download Failed Files"): a transfer with failures ends
Error, a retry copies exactly the failed objects under a linked transfer, and the failed-files CSV
behind a short-lived signed link lists them with their reasons."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from amove_helpers import Amove, as_user, problem

from emulators.testing import Emulator

COMPLETED, ERROR = 4, 16
RAW = "AccessDenied: the object's ACL refuses reads"
SLOW = "SlowDown: request rate exceeded"
pytestmark = pytest.mark.emulator(scenario="amove-retry")


def _failed_run(emulator: Emulator) -> tuple[Amove, dict[str, object]]:
    api = as_user(emulator)
    api.transfer()
    emulator.advance(600)
    [record] = api.transfers()["data"]
    return api, record


def _csv(response: httpx.Response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text)))


def test_failures_end_the_transfer_in_error_with_their_count(emulator: Emulator) -> None:
    _, record = _failed_run(emulator)
    # photos/2025/forest.raw, and IMG-00010..IMG-00019 that are .cr3 (the scenario's rules)
    assert record["transferStatus"] == ERROR
    assert record["failed"] == record["total"] - record["transferred"]
    assert 1 < int(str(record["failed"])) <= 11


def test_retry_creates_a_linked_transfer_over_exactly_the_failed_objects(emulator: Emulator) -> None:
    api, original = _failed_run(emulator)
    response = api.post("/transfer/retry_transfer", {"id": original["id"]})
    assert (response.status_code, response.content) == (200, b"")
    emulator.advance(600)
    retry = next(r for r in api.transfers()["data"] if r["id"] != original["id"])
    assert retry["retryBatchTransferID"] == original["id"]
    assert (retry["total"], retry["transferred"], retry["failed"]) == (
        original["failed"],
        original["failed"],
        0,
    )
    assert retry["transferStatus"] == COMPLETED
    link = api.post("/transfer/download_failed_files", {"id": original["id"]}).json()
    failed_keys = sorted(row[0] for row in _csv(emulator.client.get(link))[1:])
    store = emulator.world.store_named("amove")
    retried = store.transfers[retry["id"]].selection.files
    assert sorted("/" + entry.path for entry in retried) == failed_keys


def test_only_a_finished_transfer_with_failures_can_be_retried(emulator: Emulator) -> None:
    api = as_user(emulator)
    api.transfer(sourcePath="/docs/")
    [transfer_id] = list(emulator.world.store_named("amove").transfers)
    assert problem(api.post("/transfer/retry_transfer", {"id": transfer_id})) == "TRANSFER"  # not finished
    emulator.advance(600)
    assert problem(api.post("/transfer/retry_transfer", {"id": transfer_id})) == "TRANSFER"  # nothing failed


def test_the_failed_files_csv_lists_each_failure_with_its_reason(emulator: Emulator) -> None:
    api, record = _failed_run(emulator)
    response = api.post("/transfer/download_failed_files", {"id": record["id"]})
    link = response.json()
    assert isinstance(link, str) and link.startswith("http://")
    report = emulator.client.get(link)
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    rows = _csv(report)
    assert rows[0] == ["Key", "Size", "Reason"]
    assert ["/photos/2025/forest.raw", "26214400", RAW] in rows
    assert len(rows) - 1 == record["failed"]
    assert all(row[2] == SLOW for row in rows[1:] if row[0].endswith(".cr3"))
    ranged = emulator.client.get(link, headers={"Range": "bytes=0-2"})
    assert (ranged.status_code, ranged.content) == (206, b"Key")


def test_the_link_stops_working_when_it_expires_and_cannot_be_altered(emulator: Emulator) -> None:
    api, record = _failed_run(emulator)
    link = api.post("/transfer/download_failed_files", {"id": record["id"]}).json()
    tampered = link.replace("expires=", "expires=9")
    assert emulator.client.get(tampered).status_code == 403
    emulator.advance(299)
    assert emulator.client.get(link).status_code == 200
    emulator.advance(1)  # the scenario's 300 s link lifetime
    expired = emulator.client.get(link)
    assert expired.status_code == 403 and b"AccessDenied" in expired.content


def test_another_accounts_transfer_is_refused(emulator: Emulator) -> None:
    api = as_user(emulator)
    unknown = {"id": "7f000000-0000-4000-8000-000000000000"}
    assert problem(api.post("/transfer/download_failed_files", unknown)) == "NOT_FOUND"
    assert problem(api.post("/transfer/cancel_transfer", {"id": "not-a-uuid"})) == "DEFAULT"
