"""Per-file and enumeration failures from scenarios, with the documented ER codes (doc, "Error codes")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import Relativity

from emulators.app import create_app
from emulators.core.scenario import ScenarioError


def _report(relativity: Relativity, job_id: str) -> dict[str, tuple[str, str]]:
    while relativity.qc(job_id).status_code == 404:
        relativity.advance(10)
    return {row[0]: (row[2], row[3]) for row in relativity.report(job_id)[1:]}


@pytest.mark.emulator(scenario="relativity-file-failures")
def test_data_fault_rules_fail_files_with_the_mapped_er_codes(relativity: Relativity):
    job_id = relativity.create("mixed")
    final = relativity.run_until_final(job_id)
    assert final["transferStatus"] == "Failed"
    assert final["transferStatistics"]["failedFiles"] == 4
    assert final["transferStatistics"]["failedBytes"] == 102400 + 40960 + 512 + 2048
    assert _report(relativity, job_id) == {
        "custodian/busy/reply-01.msg": ("failed", "ER_99999"),  # busy on every attempt
        "custodian/busy/reply-02.msg": ("completed", ""),  # cleared on a retry
        "custodian/busy/reply-03.msg": ("completed", ""),
        "custodian/mail/inbox.msg": ("completed", ""),
        "custodian/locked/contract.pdf": ("failed", "ER_10002"),
        "custodian/locked/minutes.docx": ("failed", "ER_10002"),
        "custodian/scratch/build.tmp": ("failed", "ER_99999"),
        "custodian/notes.txt": ("completed", ""),
    }


@pytest.mark.emulator(scenario="relativity-archived-blobs")
def test_archived_blobs_fail_with_er_20004(relativity: Relativity):
    job_id = relativity.create("cold")
    assert relativity.run_until_final(job_id)["transferStatus"] == "Failed"
    report = _report(relativity, job_id)
    assert report["2019/backup.pst"] == report["2020/backup.pst"] == ("failed", "ER_20004")
    assert report["2020/readme.txt"] == ("completed", "")


@pytest.mark.emulator(scenario="relativity-naming-rules")
def test_names_breaking_relativity_naming_rules_fail_with_er_20005(relativity: Relativity):
    job_id = relativity.create("names")
    relativity.run_until_final(job_id)
    report = _report(relativity, job_id)
    assert {path for path, (status, _) in report.items() if status == "completed"} == {
        "custodian/ok/report.docx",
        "custodian/ok/résumé 2019.pdf",
    }
    assert {code for status, code in report.values() if status == "failed"} == {"ER_20005"}


@pytest.mark.emulator(scenario="relativity-enumeration-failure")
def test_an_enumeration_failure_fails_the_job_regardless(relativity: Relativity):
    job_id = relativity.create("restricted")
    relativity.advance(20)
    during = relativity.status(job_id)
    assert during["enumerationStatistics"]["status"] == "inprogress"
    relativity.advance(20)
    failed = relativity.status(job_id)
    assert failed["enumerationStatistics"]["status"] == "failed"
    assert failed["enumerationStatistics"]["error"] == (
        "ER_00003: Missing RBAC role or SAS permissions for source/destination."
    )
    assert failed["transferStatus"] == "Failed"
    assert failed["enumerationStatistics"]["totalFiles"] < 4000
    relativity.advance(1000)
    assert relativity.status(job_id)["transferStatus"] == "Failed"
    assert relativity.qc(job_id).status_code == 404, "no QC report without a completed enumeration"


@pytest.mark.emulator(scenario="relativity-validation-failures")
def test_validation_failures_appear_when_validation_ends(relativity: Relativity):
    job_id = relativity.create("validate")
    relativity.advance(20)
    validating = relativity.status(job_id)
    assert (validating["enumerationStatistics"]["status"], validating["transferStatus"]) == (
        "completed",
        "InProgress",
    )
    assert validating["transferStatistics"]["successfulFiles"] == 3
    relativity.advance(30)
    final = relativity.status(job_id)
    assert final["transferStatus"] == "Failed"
    assert (final["transferStatistics"]["successfulFiles"], final["transferStatistics"]["failedFiles"]) == (
        2,
        1,
    )
    assert final["transferStatistics"]["failedBytes"] == 3000
    assert _report(relativity, job_id)["batch/vanishing.pdf"] == ("failed", "ER_10001")


@pytest.mark.emulator(scenario="relativity-sas-expiry")
def test_a_sas_expiring_mid_transfer_fails_the_rest_with_er_00005(relativity: Relativity):
    job_id = relativity.create("huge", source=relativity.sas_url("huge", days=7.5))
    relativity.advance(7 * 86400)
    running = relativity.status(job_id)
    assert running["transferStatus"] == "InProgress"
    copied = running["transferStatistics"]["successfulFiles"]
    assert 0 < copied < 1000
    relativity.advance(86400)
    final = relativity.run_until_final(job_id)
    assert final["transferStatus"] == "Failed"
    stats = final["transferStatistics"]
    assert stats["successfulFiles"] + stats["failedFiles"] == 1000
    assert stats["failedFiles"] > 1000 - copied - 50
    report = _report(relativity, job_id)
    assert {code for status, code in report.values() if status == "failed"} == {"ER_00005"}


@pytest.mark.emulator(scenario="relativity-key-rotation")
def test_rotating_the_account_key_breaks_running_and_queued_jobs(relativity: Relativity):
    running = relativity.create("files-10k")
    relativity.advance(58)
    queued = relativity.create("small")
    relativity.advance(12)
    assert relativity.status(queued)["enumerationStatistics"]["error"].startswith("ER_00001")
    final = relativity.run_until_final(running)
    assert final["transferStatus"] == "Failed"
    assert 0 < final["transferStatistics"]["successfulFiles"] < 10_000
    report = _report(relativity, running)
    assert {code for status, code in report.values() if status == "failed"} == {"ER_00005"}


def test_a_data_fault_with_a_probability_is_reproducible(emulator_factory):
    text = """
version: 1
extends: default
seed: 11
services:
  relativity:
    data_faults: [{match: "devstoreaccount1/files-10k/*", error: BlobImmutableDueToPolicy, probability: 0.05}]
"""
    counts = []
    for _ in range(2):
        relativity = Relativity(emulator_factory(scenario_text=text))
        job_id = relativity.create("files-10k", transferJobID="0d6f6a43-3c5e-4f43-a4f8-3c1d0b0c6f01")
        counts.append(relativity.run_until_final(job_id)["transferStatistics"]["failedFiles"])
    assert counts[0] == counts[1] and 300 < counts[0] < 700


def test_the_qc_url_is_short_lived_and_signature_checked(relativity: Relativity):
    job_id = relativity.create()
    relativity.run_until_final(job_id)
    while relativity.qc(job_id).status_code == 404:
        relativity.advance(10)
    url = relativity.qc(job_id).json()["sasUrl"]
    path = url.split("emulator.test", 1)[1]
    assert relativity.client.get(path).status_code == 200
    tampered = relativity.client.get(path.replace("sp=r", "sp=rw"))
    assert tampered.status_code == 403
    assert tampered.headers["x-ms-error-code"] == "AuthenticationFailed"
    assert "<Code>AuthenticationFailed</Code>" in tampered.text
    relativity.advance(timedelta(minutes=15).total_seconds())
    expired = relativity.client.get(path)
    assert expired.status_code == 403
    fresh = relativity.qc(job_id).json()["sasUrl"]
    assert relativity.client.get(fresh.split("emulator.test", 1)[1]).status_code == 200


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        (
            "{at: 5, service: relativity, action: rotate_account_key, args: {account: nobody}}",
            "timeline.0.args.account: unknown Azure account 'nobody'; declared: devstoreaccount1",
        ),
        (
            "{at: 5, service: relativity, action: rotate_account_key, "
            "args: {account: devstoreaccount1, key: 7}}",
            "timeline.0.args.key: must be a string",
        ),
        ("{at: 5, service: relativity, action: expire_token, args: {}}", "timeline.0.args.token: required"),
    ],
)
def test_timeline_actions_with_bad_arguments_are_refused_when_the_scenario_loads(event: str, problem: str):
    text = f"version: 1\nextends: default\ntimeline:\n  - {event}\n"
    with pytest.raises(ScenarioError) as caught:
        create_app(scenario_text=text)
    assert f"<scenario>:4: {problem}" in str(caught.value)
