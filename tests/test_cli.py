"""The `transfer-emulators` command: validate, schema and serve."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import socket
import ssl
import subprocess
import sys
import time
from importlib.metadata import entry_points, version
from pathlib import Path

import httpx
import pytest
import uvicorn
import yaml
from jsonschema import Draft202012Validator
from uvicorn.config import Config

from emulators.app import SERVICES, default_scenario_path
from emulators.cli import main
from emulators.core.console import Console

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
    assert script.value == "emulators.__main__:main"


def test_the_command_is_imported_with_the_collector_paused_and_leaves_it_running():
    # Run in a fresh interpreter: this one has imported everything already.
    script = (
        "import gc, json\n"
        "from emulators.__main__ import load\n"
        "before = sum(s['collections'] for s in gc.get_stats())\n"
        "load()\n"
        "after = sum(s['collections'] for s in gc.get_stats())\n"
        "print(json.dumps([after - before, gc.isenabled(), gc.get_freeze_count()]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)

    collections, enabled, frozen = json.loads(done.stdout)
    assert collections == 0  # the import alone started dozens of passes
    assert enabled
    assert frozen > 0  # what the import built is left out of later passes


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_validate_accepts_each_bundled_scenario(path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == "1 scenario file(s) valid\n"
    assert err == ""


def test_version_is_the_installed_distributions(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])

    assert exited.value.code == 0
    assert capsys.readouterr().out == f"transfer-emulators {version('transfer-emulators')}\n"


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
    assert PROBLEM_LINE.match(lines[0])
    assert lines[0].startswith(f"{broken}:") and ": (top): not valid YAML" in lines[0]
    assert lines[1].startswith(f"{missing}: cannot read the file: ")


def test_validate_checks_every_file_and_reports_unreadable_ones_without_a_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    missing = tmp_path / "missing.yaml"
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"version: 1\nclock: {start: caf\xe9}\n")
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_SCENARIO, encoding="utf-8")
    files = [BUNDLED[0], missing, folder, BUNDLED[-1], latin, empty, bad]

    assert main(["validate", *map(str, files)]) == 1

    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 7  # four unreadable or empty files, three problems in bad.yaml
    assert lines[0].startswith(f"{missing}: cannot read the file: ")
    assert lines[1].startswith(f"{folder}: cannot read the file: ")
    assert lines[2] == f"{latin}: cannot read the file: not UTF-8 text (byte 0xe9 at offset 29)"
    assert lines[3] == f"{empty}:1: (top): a scenario must be a mapping"
    assert all(PROBLEM_LINE.match(line) for line in lines[3:])
    assert all(line.startswith(f"{bad}:") for line in lines[4:])


def test_validate_counts_several_valid_files(capsys: pytest.CaptureFixture[str]):
    assert main(["validate", *map(str, BUNDLED)]) == 0
    assert capsys.readouterr() == (f"{len(BUNDLED)} scenario file(s) valid\n", "")


def test_scenarios_lists_each_bundled_name_with_its_headline(capsys: pytest.CaptureFixture[str]):
    assert main(["scenarios"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [p.stem for p in BUNDLED]
    assert "relativity-stages               Every documented job stage lasts long enough to be seen " in (
        "\n".join(lines)
    )
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines), "a scenario without a headline"


def test_validate_and_serve_take_bundled_names(served: list[Config], capsys: pytest.CaptureFixture[str]):
    assert main(["validate", "relativity-stages", "default"]) == 0
    assert capsys.readouterr() == ("2 scenario file(s) valid\n", "")

    assert main(["serve", "--port", "0", "--scenario", "relativity-stages"]) == 0

    [config] = served
    assert config.app.state.host.scenario.model.name == "relativity-stages"
    assert "  scenario: relativity-stages (relativity-stages), " in capsys.readouterr().out


def test_a_file_wins_over_a_bundled_name_and_an_unknown_name_points_to_the_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.chdir(tmp_path)
    Path("default").write_text(BAD_SCENARIO, encoding="utf-8")

    assert main(["validate", "default", "relativity-stage"]) == 1

    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("default:2: seed: ")
    assert lines[-1] == (
        "relativity-stage: cannot read the file: No such file or directory; "
        "nor a bundled scenario (`transfer-emulators scenarios` lists them)"
    )


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
    command = [sys.executable, "-m", "emulators", "serve", "--port", "0", "--clock", "manual"]
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


PORT_ERROR = "argument --port: must be 0 to 65535 (0 picks a free port), not "
SPEED_ERROR = "argument --speed: must be above 0 and at most 1,000,000, not "
USAGE_ERRORS = {
    "port-too-high": (["--port", "99999"], PORT_ERROR + "99999"),
    "port-negative": (["--port", "-1"], PORT_ERROR + "-1"),
    "port-not-a-number": (["--port", "http"], "argument --port: not a port number: 'http'"),
    "log-level": (["--log-level", "bogus"], "argument --log-level: invalid choice: 'bogus'"),
    "speed-nan": (["--speed", "nan"], SPEED_ERROR + "nan"),
    "speed-inf": (["--speed", "inf"], SPEED_ERROR + "inf"),
    "speed-huge": (["--speed", "1e308"], SPEED_ERROR + "1e308"),
    "speed-zero": (["--speed", "0"], SPEED_ERROR + "0"),
    "speed-negative": (["--speed", "-10"], SPEED_ERROR + "-10"),
    "speed-not-a-number": (["--speed", "fast"], "argument --speed: not a number: 'fast'"),
}


@pytest.mark.parametrize(("args", "message"), USAGE_ERRORS.values(), ids=USAGE_ERRORS.keys())
def test_serve_rejects_a_bad_option_as_a_usage_error(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
):
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--clock", "real", *args])

    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("usage: transfer-emulators serve ")
    assert err.splitlines()[-1].startswith(f"transfer-emulators serve: error: {message}")


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[Config]:
    """The configs `serve` hands to uvicorn, whose `run` returns at once instead of serving."""
    configs: list[Config] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: configs.append(self.config))
    return configs


@pytest.mark.parametrize("speed", ["0.001", "2.5", "1000000"])
def test_serve_gives_a_valid_speed_and_log_level_to_the_clock_and_server(
    speed: str, served: list[Config], capsys: pytest.CaptureFixture[str]
):
    argv = ["serve", "--port", "0", "--clock", "real", "--speed", speed, "--log-level", "INFO"]

    assert main(argv) == 0

    [config] = served
    assert config.app.state.host.world.clock.speed == float(speed)
    assert config.log_level == "info"
    assert capsys.readouterr().out.startswith("transfer-emulators listening on http://127.0.0.1:")


def test_serve_banner_ends_with_the_version_and_how_to_stop(
    served: list[Config], capsys: pytest.CaptureFixture[str]
):
    assert main(["serve", "--port", "0"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("transfer-emulators listening on http://127.0.0.1:")
    assert lines[-1] == f"transfer-emulators {version('transfer-emulators')} ready: Ctrl-C to stop"


@pytest.mark.skipif(sys.platform == "win32", reason="Windows lets a second socket share a port")
def test_serve_on_a_port_in_use_names_the_address_and_exits_1(
    served: list[Config], capsys: pytest.CaptureFixture[str]
):
    with socket.create_server(("127.0.0.1", 0)) as holder:
        port = holder.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 1

    assert served == []
    assert capsys.readouterr() == (
        "",
        f"transfer-emulators serve: error: cannot listen on 127.0.0.1:{port}: the address is already in "
        "use (stop what holds it, or pick another --port; --port 0 picks a free one)\n",
    )


def test_serve_on_a_host_that_does_not_resolve_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, served: list[Config], capsys: pytest.CaptureFixture[str]
):
    def bind(host: str, port: int) -> socket.socket:  # no DNS in tests: fail as getaddrinfo does
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr("emulators.cli.bind", bind)

    assert main(["serve", "--host", "no.such.host.invalid"]) == 1

    assert served == []
    assert capsys.readouterr() == (
        "",
        "transfer-emulators serve: error: cannot listen on no.such.host.invalid:8700: "
        "Name or service not known\n",
    )


def test_serve_reports_an_unreadable_scenario_without_a_line(
    tmp_path: Path, served: list[Config], capsys: pytest.CaptureFixture[str]
):
    missing = tmp_path / "missing.yaml"

    assert main(["serve", "--port", "0", "--scenario", str(default_scenario_path()), str(missing)]) == 1

    assert served == []
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"{missing}: cannot read the file: ")
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(("flag", "on"), [([], False), (["--console"], True), (["--no-console"], False)])
def test_serve_prints_a_line_per_request_when_asked_or_on_a_terminal(
    flag: list[str], on: bool, served: list[Config]
):
    assert main(["serve", "--port", "0", *flag]) == 0  # captured output is no terminal: off by default

    [config] = served
    assert isinstance(config.app.state.host.console, Console) == on


def test_validate_suggests_the_key_or_scenario_meant_and_gives_yaml_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "typo.yaml"
    typo.write_text("version: 1\nclock: {mod: manual}\nseeed: 3\n", encoding="utf-8")
    named = tmp_path / "named.yaml"
    named.write_text("version: 1\nextends: relativty-stages\n", encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nseed: [1,\n", encoding="utf-8")
    uuid_id = tmp_path / "ids.yaml"
    uuid_id.write_text(
        "version: 1\nextends: default\nservices:\n  globus:\n    endpoints:\n"
        "      - {id: not-a-uuid, display_name: X, owner: alice}\n",
        encoding="utf-8",
    )
    assert main(["validate", str(typo), str(named), str(broken), str(uuid_id)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{typo}:2: clock.mod: unknown key; did you mean 'mode'?"  # problems in line order
    assert err[1] == f"{typo}:3: seeed: unknown key; did you mean 'seed'?"
    assert (
        err[2]
        == f"{named}:2: extends: cannot find scenario 'relativty-stages'; did you mean 'relativity-stages'?"
    )
    assert re.fullmatch(rf"{re.escape(str(broken))}:3: \(top\): not valid YAML: .* \(column \d+\)", err[3])
    assert err[4].startswith(f"{uuid_id}:6: services.globus.endpoints.0.id: must be a UUID")


def test_serve_with_tls_dir_writes_the_ca_and_prints_its_path_and_how_to_use_it(
    tmp_path: Path, served: list[Config], capsys: pytest.CaptureFixture[str]
):
    argv = ["serve", "--port", "0", "--tls-dir", str(tmp_path), "--allowed-host", "emulator.ci"]

    assert main(argv) == 0

    [config] = served
    out = capsys.readouterr().out
    ca = tmp_path / "ca.pem"
    assert out.startswith("transfer-emulators listening on https://127.0.0.1:")
    assert f"  TLS: clients trust the CA in {ca}\n" in out
    assert f"REQUESTS_CA_BUNDLE={ca}" in out and f"SSL_CERT_FILE={ca}" in out
    assert "control API: https://127.0.0.1:" in out
    assert (config.ssl_certfile, config.ssl_keyfile) == (
        str(tmp_path / "server.pem"),
        str(tmp_path / "server.key"),
    )
    assert ca.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert config.app.state.host.public_url.startswith("https://127.0.0.1:")


def test_serve_with_tls_and_no_dir_uses_a_temporary_one_and_removes_it_on_exit(
    served: list[Config], capsys: pytest.CaptureFixture[str]
):
    assert main(["serve", "--port", "0", "--tls"]) == 0

    [config] = served
    match = re.search(r"TLS: clients trust the CA in (\S+)\n", capsys.readouterr().out)
    assert match, "no CA path in the banner"
    assert Path(match[1]).name == "ca.pem"
    assert config.ssl_certfile == str(Path(match[1]).parent / "server.pem")
    assert not Path(match[1]).parent.exists()  # `run` returned: the server has stopped


def test_serve_without_tls_prints_no_ca_and_serves_plain_http(
    served: list[Config], capsys: pytest.CaptureFixture[str]
):
    assert main(["serve", "--port", "0"]) == 0

    [config] = served
    assert config.ssl_certfile is None
    assert "TLS" not in capsys.readouterr().out


def test_serve_with_a_tls_dir_it_cannot_write_says_so_and_exits_1(
    tmp_path: Path, served: list[Config], capsys: pytest.CaptureFixture[str]
):
    (tmp_path / "server.key").mkdir()  # the key cannot be written where a folder stands

    assert main(["serve", "--port", "0", "--tls-dir", str(tmp_path)]) == 1

    assert served == []
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"transfer-emulators serve: error: cannot write the TLS files to {tmp_path}: ")
    assert len(err.splitlines()) == 1


@pytest.mark.skipif(sys.platform == "win32", reason="select on pipes and SIGINT need POSIX")
def test_serve_tls_on_a_real_socket_verifies_with_the_printed_ca_only(tmp_path: Path):
    command = [sys.executable, "-m", "emulators", "serve", "--port", "0", "--tls-dir", str(tmp_path)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        try:
            deadline = time.monotonic() + WAIT_SECONDS
            first = read_line(process, deadline)
            match = re.fullmatch(r"transfer-emulators listening on (https://127\.0\.0\.1:\d+)\n", first)
            assert match, first
            base, ca = match[1], tmp_path / "ca.pem"
            assert process.stdout is not None  # the banner is written at once: these lines follow
            banner = [process.stdout.readline() for _ in range(2)]
            assert banner[1] == f"  TLS: clients trust the CA in {ca}\n"

            health = None
            while time.monotonic() < deadline and process.poll() is None:
                try:
                    health = httpx.get(
                        f"{base}/_emulator/health", verify=ssl.create_default_context(cafile=ca)
                    )
                    break
                except httpx.ConnectError as exc:
                    assert "CERTIFICATE" not in str(exc)
                    select.select([], [], [], 0.05)
            assert health is not None, "the server did not answer in time"
            assert health.json()["status"] == "ready"
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                httpx.get(f"{base}/_emulator/health")

            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=WAIT_SECONDS)
            assert process.returncode == 0, err
            assert ca.exists()  # a directory given is kept
        finally:
            if process.poll() is None:
                process.kill()
