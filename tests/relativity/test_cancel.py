"""DELETE v2/transfer/jobs/{jobId}: 200 cancels; 400 for the documented cases; 404 unknown."""

from __future__ import annotations

import uuid

import pytest
from conftest import Relativity

EMPTY = "00000000-0000-0000-0000-000000000000"


@pytest.mark.emulator(scenario="relativity-stages")
def test_cancel_freezes_the_job_and_is_visible_at_once(relativity: Relativity):
    job_id = relativity.create("stages")
    relativity.advance(40)
    response = relativity.cancel(job_id)
    assert response.status_code == 200
    assert response.content == b""
    cancelled = relativity.status(job_id)
    assert cancelled["transferStatus"] == "Cancelled"
    assert cancelled["enumerationStatistics"]["status"] == "cancelled"
    relativity.advance(300)
    assert relativity.status(job_id)["transferStatistics"] == cancelled["transferStatistics"]
    assert relativity.qc(job_id).status_code == 404, "a cancelled job never gets a QC report"


@pytest.mark.emulator(scenario="relativity-stages")
def test_cancel_during_validation_keeps_enumeration_completed(relativity: Relativity):
    job_id = relativity.create("stages")
    relativity.advance(110)
    assert relativity.cancel(job_id).status_code == 200
    document = relativity.status(job_id)
    assert (document["enumerationStatistics"]["status"], document["transferStatus"]) == (
        "completed",
        "Cancelled",
    )


def test_cancel_after_the_listing_ended_shows_enumeration_completed(relativity: Relativity):
    job_id = relativity.create("files-10k")
    document = relativity.status(job_id)
    while document["enumerationStatistics"]["totalFiles"] < 10_000:
        relativity.advance(10)
        document = relativity.status(job_id)
    assert document["transferStatus"] == "InProgress"
    assert relativity.cancel(job_id).status_code == 200
    cancelled = relativity.status(job_id)
    assert (cancelled["transferStatus"], cancelled["enumerationStatistics"]["status"]) == (
        "Cancelled",
        "completed",
    )
    assert cancelled["transferStatistics"]["successfulFiles"] < 10_000


def test_cancelling_twice_is_a_400(relativity: Relativity):
    job_id = relativity.create()
    assert relativity.cancel(job_id).status_code == 200
    again = relativity.cancel(job_id)
    assert again.status_code == 400
    assert again.json() == {
        "statusCode": 400,
        "title": "Bad Request",
        "message": "The job is already cancelled.",
    }


def test_cancelling_a_finished_job_is_a_400(relativity: Relativity):
    job_id = relativity.create()
    relativity.run_until_final(job_id)
    response = relativity.cancel(job_id)
    assert response.status_code == 400
    assert response.json()["message"] == "The job is already finished."


def test_cancelling_the_empty_id_is_a_400(relativity: Relativity):
    response = relativity.cancel(EMPTY)
    assert response.status_code == 400
    assert "empty" in response.json()["message"]


def test_cancelling_an_unknown_job_is_a_404(relativity: Relativity):
    response = relativity.cancel(str(uuid.uuid4()))
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404


@pytest.mark.emulator(scenario="relativity-preset-jobs")
def test_cancelling_a_job_that_is_not_a_cloud_transfer_is_a_400(relativity: Relativity):
    job_id = "3f2b8f4e-1a7c-4d0b-9c55-6e2f7a1d0b01"
    assert relativity.status(job_id)["transferType"] == "R1ToR1"
    response = relativity.cancel(job_id)
    assert response.status_code == 400
    assert response.json()["message"] == "The job is not a Cloud transfer job."


def test_delete_and_get_agree_on_whether_a_job_has_finished(relativity: Relativity):
    """Doc, DELETE: 400 when "The job is already finished"; GET: "Status updates approximately every
    10 seconds". A job's end refreshes its status at once, so the two answers never disagree."""
    watched = relativity.create()
    probes = [relativity.create() for _ in range(120)]
    answers = set()
    for probe in probes:
        finished = relativity.status(watched)["transferStatus"] in ("Completed", "Failed")
        response = relativity.cancel(probe)
        assert response.status_code == (400 if finished else 200), (finished, response.text)
        if finished:
            assert response.json()["message"] == "The job is already finished."
        answers.add(finished)
        relativity.advance(1)
    assert answers == {False, True}, "the probes must span the job's end"
