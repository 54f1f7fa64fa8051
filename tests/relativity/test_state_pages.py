"""`GET /_emulator/state` renders one page of jobs, so its cost follows the page, not the job count."""

from __future__ import annotations

from typing import Any

from conftest import Relativity


def test_the_state_shows_a_page_of_jobs_in_creation_order(relativity: Relativity) -> None:
    ids = [relativity.create(transferJobID=f"0b6e8a52-6c1f-4c3e-9a0d-00000000000{i}") for i in range(5)]
    control = relativity.emulator.client

    def page(**query: object) -> dict[str, Any]:
        answer = control.get("/_emulator/state", params={"service": "relativity", **query})
        assert answer.status_code == 200, answer.text
        services: dict[str, Any] = answer.json()["services"]
        return services

    first = page(limit=2)["relativity"]
    assert list(first["jobs"]) == ids[:2]
    assert first["jobs_page"] == {"total": 5, "offset": 0, "next": 2}
    last = page(limit=2, offset=4)["relativity"]
    assert (list(last["jobs"]), last["jobs_page"]["next"]) == (ids[4:], None)
    assert set(page()) == {"relativity"}  # only the service asked for
    assert len(page()["relativity"]["jobs"]) == 5  # 100 by default


def test_bad_pages_are_refused(relativity: Relativity) -> None:
    for query in ({"limit": "x"}, {"limit": 0}, {"offset": -1}, {"service": "nope"}):
        answer = relativity.emulator.client.get("/_emulator/state", params=query)
        assert answer.status_code == 400, query
