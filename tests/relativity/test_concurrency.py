"""Many creates at once: the id check and the insert cannot interleave, so one id makes one job."""

from __future__ import annotations

import uuid
from collections import Counter

import anyio
import httpx
from conftest import API, DESTINATION, TOKEN, Relativity

from emulators.testing import Emulator

CALLS = 500


def create_all(relativity: Relativity, job_ids: list[str]) -> Counter[tuple[int, str]]:
    """POST a create for each id, all at once over one in-process client: (status, body) counts."""
    source = relativity.sas_url("small")
    answers: Counter[tuple[int, str]] = Counter()

    async def create(http: httpx.AsyncClient, job_id: str) -> None:
        body = {"transferJobID": job_id, "sourcePath": source, "destinationPath": DESTINATION}
        response = await http.post(API, json=body, headers={"Authorization": f"Bearer {TOKEN}"})
        answers[response.status_code, response.text] += 1

    async def go() -> None:
        transport = httpx.ASGITransport(app=relativity.emulator.app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://emulator.test") as http,
            anyio.create_task_group() as group,
        ):
            for job_id in job_ids:
                group.start_soon(create, http, job_id)

    anyio.run(go)
    return answers


def jobs_in(emulator: Emulator) -> int:
    return int(emulator.control.state()["services"]["relativity"]["jobs_page"]["total"])


def test_concurrent_creates_with_one_id_make_one_job(emulator: Emulator, relativity: Relativity) -> None:
    job_id = str(uuid.UUID(int=1))
    answers = create_all(relativity, [job_id] * CALLS)
    assert answers.pop((200, "")) == 1
    [((status, text), count)] = answers.items()
    assert (status, count) == (400, CALLS - 1)
    assert f"A transfer job with transferJobID {job_id} already exists." in text
    assert jobs_in(emulator) == 1


def test_concurrent_creates_with_distinct_ids_are_all_created(
    emulator: Emulator, relativity: Relativity
) -> None:
    job_ids = [str(uuid.UUID(int=i)) for i in range(1, CALLS + 1)]
    assert create_all(relativity, job_ids) == Counter({(200, ""): CALLS})
    assert jobs_in(emulator) == CALLS
