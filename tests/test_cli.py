"""The `transfer-emulators` command: validate, schema and serve."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator

from emulators.app import SERVICES, default_scenario_path
from emulators.cli import main

BUNDLED = sorted(default_scenario_path().parent.glob("*.yaml"))
PROBLEM_LINE = re.compile(r"^(?P<file>.+):(?P<line>\d+): (?P<key>\S+): (?P<message>.+)$")
BAD_SCENARIO = """\
version: 1
seed: many
services:
  relativity:
    colour: blue
    users:
      - groups: [Transfer Users]
"""
WAIT_SECONDS = 15


def test_the_command_is_installed():
    [script] = [e for e in entry_points(group="console_scripts") if e.name == "transfer-emulators"]
    assert script.value == "emulators.cli:main"


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_validate_accepts_each_bundled_scenario(path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == "1 scenario file(s) valid\n"
    assert err == ""


def test_validate_reports_every_problem_as_file_line_key_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_SCENARIO, encoding="utf-8")

    assert main(["validate", str(default_scenario_path()), str(bad)]) == 1

    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 3
    for line in lines:
        match = PROBLEM_LINE.match(line)
        assert match, line
        assert match["file"] == str(bad)
    assert lines[0].startswith(f"{bad}:2: seed: ")
    assert f"{bad}:5: services.relativity.colour: unknown key" in lines
    assert f"{bad}:7: services.relativity.users.0.name: Field required" in lines


def test_validate_reports_yaml_errors_and_unreadable_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nservices: [relativity\n", encoding="utf-8")
    missing = tmp_path / "missing.yaml"

    assert main(["validate", str(broken), str(missing)]) == 1

    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert all(PROBLEM_LINE.match(line) for line in lines)
    assert lines[0].startswith(f"{broken}:") and ": (top): not valid YAML" in lines[0]
    assert lines[1].startswith(f"{missing}:0: (top): cannot read the file")


def test_schema_is_a_draft_2020_12_schema_that_accepts_the_default_scenario(
    capsys: pytest.CaptureFixture[str],
):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)

    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    validator.validate(yaml.safe_load(default_scenario_path().read_text(encoding="utf-8")))
    assert not validator.is_valid(yaml.safe_load(BAD_SCENARIO))


def read_line(process: subprocess.Popen[str], deadline: float) -> str:
    """The next line the process prints, waiting no later than `deadline`."""
    assert process.stdout is not None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.1)
        if ready:
            return process.stdout.readline()
        if process.poll() is not None:
            return process.stdout.readline()
    raise AssertionError("the server printed nothing in time")


@pytest.mark.skipif(sys.platform == "win32", reason="select on pipes and SIGINT need POSIX")
def test_serve_prints_its_real_port_answers_and_stops_cleanly_on_sigint():
    command = [sys.executable, "-m", "emulators.cli", "serve", "--port", "0", "--clock", "manual"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        try:
            deadline = time.monotonic() + WAIT_SECONDS
            first = read_line(process, deadline)
            match = re.fullmatch(r"transfer-emulators listening on (http://127\.0\.0\.1:(\d+))\n", first)
            assert match, first
            base, port = match[1], int(match[2])
            assert port != 0

            health = None
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    health = httpx.get(f"{base}/_emulator/health", timeout=1)
                    break
                except httpx.TransportError:
                    select.select([], [], [], 0.05)
            assert health is not None, "the server did not answer in time"
            assert health.status_code == 200
            assert health.json()["clock"]["mode"] == "manual"
            assert health.json()["services"] == [s.name for s in SERVICES]

            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=WAIT_SECONDS)
            assert process.returncode == 0, err
            assert "Traceback" not in err
        finally:
            if process.poll() is None:
                process.kill()
