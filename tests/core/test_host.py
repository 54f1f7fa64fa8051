"""The emulator instance behind the app: loading scenarios from files and from the control API."""

from __future__ import annotations

import gc
from pathlib import Path

import httpx
import pytest

from emulators.app import create_app, load_scenario_files
from emulators.core.host import Host
from emulators.core.scenario import ScenarioError
from emulators.testing.transport import InProcessTransport


def test_a_users_own_file_can_extend_a_bundled_scenario(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("version: 1\nextends: default\nname: mine\nseed: 7\n", encoding="utf-8")
    scenario = load_scenario_files([mine])
    assert (scenario.model.name, scenario.model.seed) == ("mine", 7)
    assert scenario.section("relativity") is not None


def test_a_scenario_that_fails_to_build_leaves_the_old_one_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    host: Host = create_app(clock="manual").host
    old_scenario, old_world = host.scenario, host.world
    replacement = host.parse([("<new>", "version: 1\nextends: default\nname: replacement\n")])

    def broken_build() -> None:
        raise RuntimeError("cannot build")

    monkeypatch.setattr(host, "_build", broken_build)
    with pytest.raises(RuntimeError):
        host.load(replacement)
    assert (host.scenario, host.world) == (old_scenario, old_world)


def test_a_clock_start_without_an_offset_runs_as_utc() -> None:
    app = create_app(
        scenario_text="version: 1\nextends: default\nclock: {start: 2026-06-01T00:00:00, mode: manual}\n"
    )
    with httpx.Client(transport=InProcessTransport(app), base_url="http://emulator.test") as client:
        assert client.get("/_emulator/clock").json()["now"] == "2026-06-01T00:00:00+00:00"
        answer = client.get(
            "/transfer-service/api/v2/transfer/jobs/6f1c3c52-8a4f-4a0e-9d51-3a2b1c0d9e01",
            headers={"Authorization": "Bearer relativity-dev-token"},
        )
        assert answer.status_code == 404


def test_an_invalid_scenario_posted_to_the_control_api_keeps_the_old_one() -> None:
    app = create_app(clock="manual")
    with httpx.Client(transport=InProcessTransport(app), base_url="http://emulator.test") as client:
        before = client.get("/_emulator/health").json()["scenario"]
        event = "{at: .nan, service: relativity, action: expire_token, args: {token: t}}"
        bad = f"version: 1\nextends: default\ntimeline:\n  - {event}\n"
        refused = client.post("/_emulator/scenario", content=bad, headers={"Content-Type": "text/yaml"})
        assert refused.status_code == 400
        assert client.get("/_emulator/health").json()["scenario"] == before
        assert client.post("/_emulator/reset").status_code == 200


def test_validate_refuses_what_the_loader_refuses(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nextends: 5\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="extends: must be a scenario name"):
        load_scenario_files([bad])


@pytest.mark.parametrize("speed", [0, -1, float("nan"), float("inf"), 2e6])
def test_a_speed_outside_the_range_is_refused(speed: float) -> None:
    with pytest.raises(ValueError, match="speed must be above 0"):
        create_app(speed=speed)


def test_a_speed_given_in_code_wins_over_the_scenarios() -> None:
    assert create_app(speed=60).host.world.clock.speed == 60


def test_a_full_collection_freezes_what_survived_and_a_new_world_unfreezes_it() -> None:
    """A served app keeps long-lived objects out of later full garbage-collection passes (a World
    of millions of plan steps made each pass stop the server for over a second), and gives a
    replaced World's objects back to the collector."""
    from emulators.app import _freeze_survivors, create_app

    app = create_app(clock="manual")
    assert app.host.freeze_survivors is False  # off unless the process only serves
    app.host.freeze_survivors = True  # as `serve` sets it
    gc.unfreeze()
    gc.callbacks.append(_freeze_survivors)
    try:
        gc.collect(1)  # not a full pass: nothing is frozen
        assert gc.get_freeze_count() == 0
        gc.collect()
        assert gc.get_freeze_count() > 0
        app.host.reset()
        assert gc.get_freeze_count() == 0
    finally:
        gc.callbacks.remove(_freeze_survivors)
        gc.unfreeze()
