"""Unmodified globus-cli against the emulator on a real socket, logged in with client credentials.

Each test gets a fresh HOME (the CLI keeps its tokens there); the first command fetches a token from
the emulator's `POST /v2/oauth2/token`. Commands run in-process through click's test runner, and
`globus task wait` sleeps on the emulator's virtual clock.
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from globus_cli import main
from globus_sdk.services.transfer import client as transfer_client

from emulators.testing import LiveEmulator

pytestmark = [pytest.mark.real_client, pytest.mark.live]
CLIENT_ID = "3f6a1c2e-5b4d-4e8f-a7c9-0d1e2f3a4b5c"
LAB = "aaaaaaaa-0000-4000-8000-000000000001"
SCRATCH = "bbbbbbbb-0000-4000-8000-000000000002"
Globus = Callable[..., Result]


@pytest.fixture
def globus(emulator_server: LiveEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Globus:
    monkeypatch.setattr(transfer_client, "time", types.SimpleNamespace(sleep=emulator_server.control.advance))
    env = {
        "HOME": str(tmp_path),
        "GLOBUS_CLI_CLIENT_ID": CLIENT_ID,
        "GLOBUS_CLI_CLIENT_SECRET": "globus-cli-secret",
        "GLOBUS_SDK_SERVICE_URL_TRANSFER": emulator_server.url + "/",
        "GLOBUS_SDK_SERVICE_URL_AUTH": emulator_server.url + "/",
    }
    runner = CliRunner()

    def run(*args: str, exit_code: int = 0) -> Result:
        result = runner.invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == exit_code, result.output
        return result

    return run


def as_json(result: Result) -> Any:
    return json.loads(result.output)


def transfer(globus: Globus) -> str:
    result = globus(
        "transfer",
        f"{LAB}:/~/experiments/run-001/",
        f"{SCRATCH}:/~/cli/",
        "--recursive",
        "--label",
        "cli run",
        "-F",
        "json",
    )
    body = as_json(result)
    assert body["code"] == "Accepted"
    return str(body["task_id"])


def test_transfer_task_wait_show_and_event_list(globus: Globus, emulator_server: LiveEmulator):
    task_id = transfer(globus)
    globus("task", "wait", task_id, "--polling-interval", "1", "--timeout", "60")
    shown = as_json(globus("task", "show", task_id, "-F", "json"))
    assert (shown["status"], shown["label"], shown["files_transferred"]) == ("SUCCEEDED", "cli run", 3)
    text = globus("task", "show", task_id).output
    assert "SUCCEEDED" in text and "cli run" in text
    events = as_json(globus("task", "event-list", task_id, "-F", "json"))["DATA"]
    assert [e["code"] for e in events] == ["SUCCEEDED", "STARTED"]
    assert as_json(globus("task", "event-list", task_id, "--filter-errors", "-F", "json"))["DATA"] == []
    tokens = emulator_server.control.requests(path="/v2/oauth2/token")
    assert len(tokens) == 1, "the token is fetched once and reused"


def test_task_wait_exits_1_on_a_failed_task(globus: Globus):
    result = globus(
        "transfer",
        f"{LAB}:/~/nothing/",
        f"{SCRATCH}:/~/x/",
        "--recursive",
        "-F",
        "json",
    )
    task_id = as_json(result)["task_id"]
    globus("task", "wait", task_id, "--polling-interval", "1", "--timeout", "60", exit_code=1)
    assert as_json(globus("task", "show", task_id, "-F", "json"))["fatal_error"]["code"] == "FILE_NOT_FOUND"


def test_without_recursive_the_service_detects_a_directory_and_a_file(
    globus: Globus, emulator_server: LiveEmulator
):
    directory = as_json(
        globus("transfer", f"{LAB}:/~/experiments/run-001/", f"{SCRATCH}:/~/auto/", "-F", "json")
    )["task_id"]
    single = as_json(
        globus(
            "transfer", f"{LAB}:/~/experiments/run-002/reads.fastq", f"{SCRATCH}:/~/one.fastq", "-F", "json"
        )
    )["task_id"]
    for task_id in (directory, single):
        globus("task", "wait", task_id, "--polling-interval", "1", "--timeout", "60")
    assert globus("ls", f"{SCRATCH}:/~/auto/").output.split() == ["notes/", "reads.fastq", "summary.csv"]
    assert "one.fastq" in globus("ls", f"{SCRATCH}:/~/").output.split()


def test_ls_shows_copied_files_and_mkdir_and_delete_work(globus: Globus, emulator_server: LiveEmulator):
    transfer(globus)
    emulator_server.control.advance(30)
    assert globus("ls", f"{SCRATCH}:/~/cli/").output.split() == ["notes/", "reads.fastq", "summary.csv"]
    assert "created successfully" in globus("mkdir", f"{SCRATCH}:/~/made").output
    assert "made/" in globus("ls", f"{SCRATCH}:/~/").output.split()
    delete = as_json(globus("delete", f"{SCRATCH}:/~/cli/summary.csv", "-F", "json"))
    assert delete["code"] == "Accepted"
    emulator_server.control.advance(30)
    assert globus("ls", f"{SCRATCH}:/~/cli/").output.split() == ["notes/", "reads.fastq"]


def test_an_unknown_task_is_reported_as_a_transfer_api_error(globus: Globus):
    result = globus("task", "show", "00000000-0000-4000-8000-000000000000", exit_code=1)
    assert "ClientError.NotFound" in result.output


def test_task_list_update_cancel_and_rename(globus: Globus):
    long_one = as_json(
        globus("transfer", f"{LAB}:/~/instrument/", f"{SCRATCH}:/~/frames/", "--recursive", "-F", "json")
    )["task_id"]
    short_one = transfer(globus)
    listed = as_json(globus("task", "list", "-F", "json"))["DATA"]
    assert [t["task_id"] for t in listed] == [short_one, long_one]
    assert globus("task", "update", long_one, "--label", "renamed by cli").output.strip() == "Success"
    assert as_json(globus("task", "show", long_one, "-F", "json"))["label"] == "renamed by cli"
    assert "cancelled successfully" in globus("task", "cancel", long_one).output
    assert as_json(globus("task", "show", long_one, "-F", "json"))["status"] == "FAILED"
    globus("mkdir", f"{SCRATCH}:/~/before")
    assert "renamed successfully" in globus("rename", SCRATCH, "/~/before", "/~/after").output
    assert "after/" in globus("ls", f"{SCRATCH}:/~/").output.split()


def test_cancel_of_a_running_task_is_accepted_then_the_wait_ends_failed(
    globus: Globus, emulator_server: LiveEmulator
):
    task_id = as_json(
        globus("transfer", f"{LAB}:/~/instrument/", f"{SCRATCH}:/~/frames/", "--recursive", "-F", "json")
    )["task_id"]
    emulator_server.control.advance(5)
    assert "cancel request has been accepted" in globus("task", "cancel", task_id).output
    globus("task", "wait", task_id, "--polling-interval", "1", "--timeout", "60", exit_code=1)
    shown = as_json(globus("task", "show", task_id, "-F", "json"))
    assert (shown["status"], shown["fatal_error"]["code"]) == ("FAILED", "CANCELED")
    errors = as_json(globus("task", "event-list", task_id, "--filter-errors", "-F", "json"))["DATA"]
    assert [e["code"] for e in errors] == ["CANCELED"]
