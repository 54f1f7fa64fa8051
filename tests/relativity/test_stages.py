"""Jobs move through the documented stages as the manual clock advances (doc, "Job stages")."""

from __future__ import annotations

import pytest
from conftest import Relativity

STAGES = pytest.mark.emulator(scenario="relativity-stages")


DOCUMENTED_WALK = [
    ("queued", "Queued"),
    ("inprogress", "InProgress"),
    ("completed", "InProgress"),
    ("completed", "Completed"),
]


def _stage(document: dict) -> tuple[str, str]:
    return document["enumerationStatistics"]["status"], document["transferStatus"]


def _walk(relativity: Relativity, job_id: str) -> list[tuple[str, str]]:
    """The distinct stages seen reading every 10 s until the job completes."""
    seen: list[tuple[str, str]] = []
    for _ in range(1000):
        document = relativity.status(job_id)
        if not seen or seen[-1] != _stage(document):
            seen.append(_stage(document))
        if document["transferStatus"] == "Completed":
            return seen
        relativity.advance(10)
    raise AssertionError(f"the job did not complete: {seen}")


@STAGES
def test_a_job_walks_queued_inprogress_validation_completed(relativity: Relativity):
    job_id = relativity.create("stages")
    assert _walk(relativity, job_id) == DOCUMENTED_WALK


@STAGES
def test_statistics_refresh_every_ten_seconds(relativity: Relativity):
    job_id = relativity.create("stages")
    relativity.advance(50)
    at_50 = relativity.status(job_id)
    relativity.advance(9.9)
    assert relativity.status(job_id) == at_50, "a read between refreshes returns the last snapshot"
    relativity.advance(0.1)
    at_60 = relativity.status(job_id)
    assert at_60["transferStatistics"]["successfulFiles"] > at_50["transferStatistics"]["successfulFiles"]


@STAGES
def test_progress_fields_grow_during_transfer_and_totals_match_at_the_end(relativity: Relativity):
    job_id = relativity.create("stages")
    relativity.advance(30)
    during = relativity.status(job_id)
    assert _stage(during) == ("inprogress", "InProgress")
    assert 0 < during["transferStatistics"]["successfulFiles"] < 3000
    assert 0 < during["enumerationStatistics"]["totalFiles"] < 3000
    final = relativity.run_until_final(job_id)
    stats, enumeration = final["transferStatistics"], final["enumerationStatistics"]
    assert stats["successfulFiles"] == enumeration["totalFiles"] == 3000
    assert stats["successfulBytes"] == enumeration["totalSize"] == 3000 * 100000
    assert stats["failedFiles"] == stats["failedBytes"] == 0


@STAGES
def test_the_qc_report_is_404_until_generated_then_lists_every_file(relativity: Relativity):
    job_id = relativity.create("stages")
    relativity.advance(150)
    assert relativity.status(job_id)["transferStatus"] == "Completed"
    missing = relativity.qc(job_id)
    assert missing.status_code == 404
    assert missing.json()["statusCode"] == 404
    relativity.advance(10)
    rows = relativity.report(job_id)
    assert rows[0] == ["file", "size", "status", "error_code"]
    assert len(rows) == 3001
    assert rows[1] == ["custodian/file-00000.pdf", "100000", "completed", ""]


@pytest.mark.parametrize("container", ["small", "files-10k", "files-1m"])
def test_every_default_container_shows_every_stage_under_the_ten_second_refresh(
    relativity: Relativity, container: str
):
    """Doc, "Job stages" and "Status updates approximately every 10 seconds": with the default timing
    (agent pickup, agent startup, per-file overhead, validation), a client reading every 10 s sees each
    documented stage of a successful job, even for the four files of `small`."""
    assert _walk(relativity, relativity.create(container)) == DOCUMENTED_WALK


def test_ten_thousand_files_with_the_default_timing(relativity: Relativity):
    """The issue's walk-through: 10,000 generated files, default behaviour, manual clock."""
    job_id = relativity.create("files-10k")
    assert _walk(relativity, job_id) == DOCUMENTED_WALK
    assert relativity.qc(job_id).status_code == 404
    while relativity.qc(job_id).status_code == 404:
        relativity.advance(10)
    rows = relativity.report(job_id)
    assert len(rows) == 10_001
    assert {row[2] for row in rows[1:]} == {"completed"}


@pytest.mark.emulator(
    scenario_text="""
version: 1
extends: default
services:
  relativity:
    data_faults:
      - {match: "devstoreaccount1/files-10k/*.msg", error: BlobArchived}
"""
)
def test_ten_thousand_files_with_a_per_file_fault_rule(relativity: Relativity):
    job_id = relativity.create("files-10k")
    final = relativity.run_until_final(job_id)
    assert final["transferStatus"] == "Failed"
    assert final["enumerationStatistics"]["status"] == "completed"
    while relativity.qc(job_id).status_code == 404:
        relativity.advance(10)
    rows = relativity.report(job_id)[1:]
    failed = [row for row in rows if row[2] == "failed"]
    assert failed and all(row[0].endswith(".msg") and row[3] == "ER_20004" for row in failed)
    assert all(row[3] == "" for row in rows if row[2] == "completed")
    assert len(failed) == final["transferStatistics"]["failedFiles"]
    assert sum(int(row[1]) for row in failed) == final["transferStatistics"]["failedBytes"]


@pytest.mark.emulator(
    scenario_text="""
version: 1
extends: default
services:
  relativity:
    behaviour:
      queue_delay: 1
      validation: {base: 1, per_file: 0}
      qc_report: {base: 0, per_file: 0}
"""
)
def test_the_qc_report_waits_for_a_status_read_to_show_the_final_status(relativity: Relativity):
    """A report that is quick to make still needs what a status read shows: the last snapshot."""
    job_id = relativity.create()
    for _ in range(30):
        document = relativity.status(job_id)
        final = document["transferStatus"] in ("Completed", "Failed")
        assert (relativity.qc(job_id).status_code == 200) == final, document
        relativity.advance(1)
    assert final


@pytest.mark.emulator(
    scenario_text="""
version: 1
extends: default
services:
  relativity:
    behaviour:
      queue_delay: 0
      agent_startup: 0
      statistics_interval: 1
      rate: {bandwidth: 1.0e+12, per_file: 0, enumeration_rate: 1.0e+9}
      validation: {base: 0, per_file: 0}
      qc_report: {base: 0, per_file: 0}
"""
)
def test_the_readme_settings_for_fast_jobs_finish_a_small_job_in_a_second(relativity: Relativity):
    job_id = relativity.create()
    relativity.advance(1)
    assert relativity.status(job_id)["transferStatus"] == "Completed"
    assert relativity.qc(job_id).status_code == 200
