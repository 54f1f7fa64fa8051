"""Heavy use: many submissions at once, big directories, long task histories, many ls filters.

Concurrency is driven on one event loop through httpx's ASGI transport, as a server would run the
requests; how fast things are is measured in `benchmarks/globus_load.py`, never here.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from globus_helpers import API, LAB, SCRATCH, TOKEN, Globus, globus, item

from emulators.app import create_app
from emulators.core.filesystem import FileSystem
from emulators.globus import tasks
from emulators.globus.tasks import Task

__all__ = ["globus"]
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


def transfer_document(source: str, destination: str, submission_id: str | None = None) -> dict[str, Any]:
    return {
        "DATA_TYPE": "transfer",
        "submission_id": submission_id or str(uuid.uuid4()),
        "source_endpoint": LAB,
        "destination_endpoint": SCRATCH,
        "DATA": [item(source, destination)],
    }


Request = tuple[str, str, dict[str, Any] | None]  # method, path under the API, JSON body


def on_one_loop(
    requests: Sequence[Request],
    then: Sequence[Request] = (),
) -> tuple[list[tuple[int, httpx.Response]], list[httpx.Response]]:
    """Send `requests` at once to a fresh emulator, then `then` one by one.

    Returns (order of completion, response) for each of `requests`, and the responses to `then`.
    """

    async def run() -> tuple[list[tuple[int, httpx.Response]], list[httpx.Response]]:
        transport = httpx.ASGITransport(app=create_app(clock="manual"))
        finished: list[int] = []
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as client:

            async def send(n: int, method: str, path: str, body: dict[str, Any] | None) -> httpx.Response:
                response = await client.request(method, API + path, json=body, headers=HEADERS)
                finished.append(n)
                return response

            responses = await asyncio.gather(*(send(n, *r) for n, r in enumerate(requests)))
            after = [await send(-1, *r) for r in then]
        return [(finished.index(n), response) for n, response in enumerate(responses)], after

    return asyncio.run(run())


def test_200_concurrent_resubmits_of_one_submission_id_make_exactly_one_task():
    """Doc 3.2.4: a used submission id is a Duplicate of the task it created, however the calls race."""
    document = transfer_document("/~/instrument/day-000/", "/~/day-000/")
    submissions, after = on_one_loop([("POST", "/transfer", document)] * 200, [("GET", "/task_list", None)])
    listing = after[0].json()
    codes = sorted(response.json()["code"] for _, response in submissions)
    assert codes == ["Accepted"] + ["Duplicate"] * 199
    assert len({response.json()["task_id"] for _, response in submissions}) == 1
    assert listing["total"] == 1


def test_other_requests_are_answered_while_a_big_directory_is_planned():
    big = ("POST", "/transfer", transfer_document("/~/instrument/", "/~/frames/"))
    read = ("GET", f"/endpoint/{SCRATCH}", None)
    ((submitted_rank, submitted), (read_rank, answered)), _ = on_one_loop([big, read])
    assert (submitted.status_code, answered.status_code) == (202, 200)
    assert read_rank < submitted_rank, "the read waited for the whole 10,000-file plan"


class Work:
    """Counts the work of a submission: destination paths judged (`stat`) and steps attached to the
    destination (each `placement` call while its promises are indexed, before any time passes)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.judged = self.placed = 0
        stat, placement = FileSystem.stat, tasks.placement

        def judged(fs: FileSystem, path: str, at: Any) -> Any:
            self.judged += 1
            return stat(fs, path, at)

        def counted_placement(*args: Any) -> Any:
            place = placement(*args)

            def placed(*call: Any) -> Any:
                self.placed += 1
                return place(*call)

            return placed

        monkeypatch.setattr(FileSystem, "stat", judged)
        monkeypatch.setattr(tasks, "placement", counted_placement)

    @property
    def done(self) -> int:
        return self.judged + self.placed


async def _taking_turns(work: Work, job: asyncio.Task[Any]) -> list[int]:
    """The work done so far at every turn the loop gives another coroutine until `job` is done."""
    seen = [work.done]
    while not job.done():
        await asyncio.sleep(0)
        seen.append(work.done)
    return seen


def test_a_big_submission_lets_other_coroutines_run_between_chunks_of_its_work(
    monkeypatch: pytest.MonkeyPatch,
):
    """Planning 10,000 files and attaching their task to the destination are both done in chunks: no
    stretch between two turns of the event loop judges or attaches more than a few thousand paths."""
    work = Work(monkeypatch)

    async def run() -> tuple[httpx.Response, list[int]]:
        transport = httpx.ASGITransport(app=create_app(clock="manual"))
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as client:
            document = transfer_document("/~/instrument/", "/~/frames/")
            job = asyncio.create_task(client.post(API + "/transfer", json=document, headers=HEADERS))
            seen = await _taking_turns(work, job)
            return await job, seen

    response, seen = asyncio.run(run())
    assert response.status_code == 202, response.text
    assert work.placed == 10_000 + 11  # every frame and directory (the top one and 10 days) attached
    assert work.judged >= 10_000
    stretches = [after - before for before, after in itertools.pairwise(seen)]
    assert len(stretches) > 20
    assert max(stretches) <= 2_500, "a long stretch of the submission ran without a turn for others"


@pytest.mark.parametrize("given_up", [False, True])
def test_a_submission_given_up_while_its_task_is_attached_leaves_no_promise_behind(
    monkeypatch: pytest.MonkeyPatch, given_up: bool
):
    """A request cancelled between chunks of the attaching makes no task, and the destination
    directories its steps would have made do not stop a later file from being written there."""
    work = Work(monkeypatch)

    async def run() -> tuple[dict[str, Any], int, int]:
        transport = httpx.ASGITransport(app=create_app(clock="manual"))
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as client:
            big = transfer_document("/~/instrument/", "/~/frames/")
            job = asyncio.create_task(client.post(API + "/transfer", json=big, headers=HEADERS))
            if given_up:
                while not work.placed:
                    await asyncio.sleep(0)
                job.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await job
            else:
                assert (await job).status_code == 202
            placed = work.placed
            onto_a_day = transfer_document("/~/experiments/run-001/summary.csv", "/~/frames/day-000")
            onto_a_day["DATA"][0]["recursive"] = False
            submitted = await client.post(API + "/transfer", json=onto_a_day, headers=HEADERS)
            assert submitted.status_code == 202, submitted.text
            clock = await client.post("/_emulator/clock", json={"advance": 3600})
            assert clock.status_code == 200
            task = await client.get(API + f"/task/{submitted.json()['task_id']}", headers=HEADERS)
            listed = await client.get(API + "/task_list", headers=HEADERS)
            return task.json(), placed, listed.json()["total"]

    task, placed, total = asyncio.run(run())
    if given_up:
        assert 0 < placed < 10_011, "the request was not cancelled while its task was being attached"
        assert (task["status"], total) == ("SUCCEEDED", 1)
    else:
        assert (task["status"], task["fatal_error"]["code"], total) == ("FAILED", "IS_A_DIRECTORY", 2)


@pytest.mark.parametrize("skip_source_errors", [False, True])
def test_a_source_folder_renamed_while_a_big_submission_is_attached_reaches_its_task(
    monkeypatch: pytest.MonkeyPatch, skip_source_errors: bool
):
    """A rename answered between two chunks of a submission, after its plan listed the folder, is
    applied to the task once the task exists: the files below the old name are not read (FILE_NOT_FOUND,
    skipped under skip_source_errors), as for a task already running."""
    work = Work(monkeypatch)

    async def run() -> tuple[httpx.Response, dict[str, Any]]:
        transport = httpx.ASGITransport(app=create_app(clock="manual"))
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as client:
            big = transfer_document("/~/instrument/", "/~/frames/")
            big["skip_source_errors"] = skip_source_errors
            job = asyncio.create_task(client.post(API + "/transfer", json=big, headers=HEADERS))
            while not work.placed:  # the plan is made; its task is being attached
                await asyncio.sleep(0)
            document = {"DATA_TYPE": "rename", "old_path": "/~/instrument/day-009", "new_path": "/~/day-9"}
            renamed = await client.post(
                API + f"/operation/endpoint/{LAB}/rename", json=document, headers=HEADERS
            )
            placed_when_renamed = work.placed
            submitted = await job
            assert placed_when_renamed < work.placed, "the rename came after the task was attached"
            assert (await client.post("/_emulator/clock", json={"advance": 7 * 86400})).status_code == 200
            task = await client.get(API + f"/task/{submitted.json()['task_id']}", headers=HEADERS)
            return renamed, task.json()

    renamed, task = asyncio.run(run())
    assert renamed.json()["code"] == "FileRenamed", renamed.text
    if skip_source_errors:
        assert (task["status"], task["subtasks_skipped_errors"]) == ("SUCCEEDED", 1_000)
    else:
        assert (task["status"], task["fatal_error"]["code"]) == ("FAILED", "FILE_NOT_FOUND")


def test_a_task_list_page_judges_only_the_tasks_on_it(globus: Globus, monkeypatch: pytest.MonkeyPatch):
    ids = []
    for n in range(30):
        ids.append(globus.transfer(item("/~/experiments/run-001/summary.csv", f"/~/s{n}.csv")))
        if n % 3 == 2:
            globus.delete("/~/experiments/.cache")
    judged: list[str] = []
    document = Task.document

    def counted(task: Task, at: Any) -> dict[str, Any]:
        judged.append(task.task_id)
        return document(task, at)

    monkeypatch.setattr(Task, "document", counted)
    page = globus.ok(globus.get("/task_list", params={"limit": 10}))
    assert (page["total"], len(judged)) == (40, 10)
    judged.clear()
    params = {"limit": 10, "offset": 25, "filter": "type:TRANSFER", "orderby": "request_time ASC"}
    page = globus.ok(globus.get("/task_list", params=params))
    assert [t["task_id"] for t in page["DATA"]] == ids[25:] and page["total"] == 30
    assert len(judged) == 5


def test_a_page_from_the_history_matches_a_page_judged_task_by_task(globus: Globus):
    transfers = [
        globus.transfer(item("/~/experiments/run-001/summary.csv", f"/~/s{n}.csv")) for n in range(5)
    ]
    globus.delete("/~/experiments/.cache")
    globus.advance(120)
    globus.ok(globus.post(f"/task/{transfers[2]}/remove"))
    every_status = "status:ACTIVE,INACTIVE,SUCCEEDED,FAILED"
    for params in [
        {},
        {"orderby": "request_time ASC"},
        {"filter": "type:TRANSFER"},
        {"filter": "type:DELETE"},
    ]:
        for offset, limit in [(0, 3), (2, 2), (5, 10)]:
            sliced = globus.ok(globus.get("/task_list", params={**params, "offset": offset, "limit": limit}))
            kinds = params.get("filter", "type:TRANSFER,DELETE")
            judged_params = {**params, "filter": f"{kinds}/{every_status}", "offset": offset, "limit": limit}
            judged = globus.ok(globus.get("/task_list", params=judged_params))
            assert sliced == judged
    assert globus.ok(globus.get("/task_list", params={"filter": "type:TRANSFER/type:DELETE"}))["total"] == 0
    listed = [t["task_id"] for t in globus.ok(globus.get("/task_list"))["DATA"]]
    assert transfers[2] not in listed and len(listed) == 5


def test_ls_takes_at_most_100_filter_terms(globus: Globus):
    path = f"/operation/endpoint/{LAB}/ls"
    hundred = [f"name:~frame-00000{n % 10}*" for n in range(99)] + ["type:dir,file"]
    assert globus.ok(globus.get(path, params={"path": "/~/", "filter": [*hundred[:-1], "type:dir"]}))
    too_many = globus.get(path, params={"path": "/~/", "filter": hundred})
    body = globus.error(too_many, 400, "ClientError.BadRequest")
    assert "at most 100" in body["message"]
    names = ",".join(f"n{n}" for n in range(101))
    globus.error(
        globus.get(path, params={"path": "/~/", "filter": f"name:{names}"}), 400, "ClientError.BadRequest"
    )
