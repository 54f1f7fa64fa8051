"""The command line's safety options and its answers to hostile scenario files: one line, exit 1."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import uvicorn
from uvicorn.config import Config

from emulators.cli import main
from emulators.server import Timeouts
from emulators.testing.transport import InProcessTransport

SELF_ALIAS = "version: 1\nseed: &a [*a]\n"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[Config]:
    """The configs `serve` hands to uvicorn, whose `run` returns at once instead of serving."""
    configs: list[Config] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: configs.append(self.config))
    return configs


@pytest.mark.parametrize(
    "text",
    [SELF_ALIAS, "version: 1\nseed: " + "[" * 5000 + "]" * 5000 + "\n"],
    ids=["self-alias", "deep"],
)
@pytest.mark.parametrize("command", ["validate", "serve"])
def test_a_hostile_scenario_is_one_line_and_exit_1(
    tmp_path: Path, text: str, command: str, served: list[Config], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    argv = (
        ["validate", str(bad)] if command == "validate" else ["serve", "--port", "0", "--scenario", str(bad)]
    )

    assert main(argv) == 1

    assert served == []
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"{bad}:2: (top): ")
    assert len(err.splitlines()) == 1


def test_serve_gives_the_scenario_directories_to_the_control_api(
    tmp_path: Path, served: list[Config], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mine.yaml").write_text("version: 1\nextends: default\nseed: 12\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path.parent)
    main(["serve", "--port", "0", "--scenario-dir", tmp_path.name])
    monkeypatch.chdir(tmp_path.anchor)  # the directory was named relative to where serve started

    [config] = served
    with httpx.Client(transport=InProcessTransport(config.app), base_url="http://127.0.0.1") as http:
        loaded = http.post(
            "/_emulator/scenario",
            content=b"version: 1\nextends: mine\n",
            headers={"Content-Type": "text/yaml"},
        )
        assert loaded.status_code == 200, loaded.text
        assert http.get("/_emulator/health").json()["seed"] == 12


def test_serve_answers_control_calls_for_the_allowed_hosts_only(
    served: list[Config], capsys: pytest.CaptureFixture[str]
) -> None:
    main(["serve", "--port", "0", "--allowed-host", "emulator.ci", "--allowed-host", "Other.CI"])

    [config] = served
    with httpx.Client(transport=InProcessTransport(config.app), base_url="http://127.0.0.1") as http:
        for name, status in [("emulator.ci:8700", 200), ("other.ci", 200), ("evil.example", 403)]:
            assert http.get("/_emulator/health", headers={"Host": name}).status_code == status


def test_a_scenario_directory_must_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--scenario-dir", str(tmp_path / "absent")])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(f"not a directory: '{tmp_path / 'absent'}'")


def test_serve_gives_its_timeouts_to_the_server(
    served: list[Config], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "serve",
        "--port",
        "0",
        "--keep-alive-timeout",
        "2",
        "--header-timeout",
        "3.5",
        "--body-timeout",
        "4",
    ]
    assert main(argv) == 0
    [config] = served
    assert config.http.deadlines == Timeouts(keep_alive=2, header=3.5, body=4)  # type: ignore[union-attr]


def test_serve_defaults_to_production_timeouts(
    served: list[Config], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--port", "0"]) == 0
    [config] = served
    assert config.http.deadlines == Timeouts(keep_alive=5, header=10, body=30)  # type: ignore[union-attr]


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon", "86401"])
@pytest.mark.parametrize("option", ["--keep-alive-timeout", "--header-timeout", "--body-timeout"])
def test_a_timeout_must_be_a_positive_number_of_seconds(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", option, value])
    assert exited.value.code == 2
    assert (
        capsys.readouterr()
        .err.splitlines()[-1]
        .startswith(f"transfer-emulators serve: error: argument {option}")
    )
