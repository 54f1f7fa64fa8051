"""Heavy use: many submissions at once, big directories.

Concurrency is driven on one event loop through httpx's ASGI transport, as a server would run the
requests; how fast things are is measured in `benchmarks/globus_load.py`, never here.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

import httpx
from globus_helpers import API, LAB, SCRATCH, TOKEN, item

from emulators.app import create_app

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
