"""QC report links cannot be forged, stretched or pointed elsewhere.

The link is signed with a key the World draws when it is built (never from the seed, which is printed
and shown by the control API), so a second emulator with the same seed cannot mint or accept it and a
reset revokes it; and it is built from the server's public base URL, not from the request's Host.
"""

from __future__ import annotations

from collections.abc import Callable

from conftest import Relativity

from emulators.testing import Emulator


def ready_link(relativity: Relativity, headers: dict[str, str] | None = None, job: int = 1) -> str:
    job_id = relativity.create(transferJobID=f"5b0e3f7a-0f5e-4d3b-9a57-2c3d4e5f6a{job:02d}")
    relativity.run_until_final(job_id)
    while relativity.qc(job_id).status_code == 404:
        relativity.advance(10)
    path = f"/transfer-service/api/v2/transfer/jobs/{job_id}/qc"
    answer = relativity.client.get(path, headers={**relativity.headers(), **(headers or {})})
    url: str = answer.json()["sasUrl"]
    return url


def test_a_link_of_one_emulator_does_not_open_the_same_report_on_another_with_the_same_seed(
    emulator_factory: Callable[..., Emulator],
) -> None:
    first, second = (Relativity(emulator_factory(seed=7)) for _ in range(2))
    link, other = ready_link(first), ready_link(second)
    assert link.split("?")[0] == other.split("?")[0]  # the same job, the same report path
    assert link != other  # but not the same signature
    assert first.client.get(link).status_code == 200
    refused = second.client.get(link)
    assert (refused.status_code, refused.headers["x-ms-error-code"]) == (403, "AuthenticationFailed")


def test_a_reset_revokes_the_links_handed_out_before(relativity: Relativity) -> None:
    link = ready_link(relativity)
    assert relativity.client.get(link).status_code == 200
    relativity.emulator.control.reset()
    fresh = ready_link(relativity)
    assert relativity.client.get(link).status_code == 403
    assert relativity.client.get(fresh).status_code == 200


def test_the_link_points_at_the_public_url_whatever_the_host_header_says(relativity: Relativity) -> None:
    link = ready_link(relativity, headers={"Host": "evil.example:666"})
    assert link.startswith("http://emulator.test/transfer-service/qc/")
    relativity.emulator.host.public_url = "https://emulator.ci.example"
    assert ready_link(relativity, job=2).startswith("https://emulator.ci.example/transfer-service/qc/")
