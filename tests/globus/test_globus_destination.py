"""What a transfer does at the destination: type conflicts fail the task, items without `recursive`
are copied as what their source is."""

from __future__ import annotations

from typing import Any

import pytest
from globus_helpers import SCRATCH, Globus, globus, item, with_trees

__all__ = ["globus"]
CONFLICTS = with_trees(
    lab="""
    - {path: src/reads.fastq, size: 100}
    - {path: src/summary.csv, size: 20}
    - {path: src/notes/readme.txt, size: 10}
""",
    scratch="""
    - {path: dst/notes, size: 9}
    - {path: dst/reads.fastq/keep.txt, size: 5}
    - {path: plain.txt, size: 11}
    - {path: folder/inside.txt, size: 3}
""",
)


def stat(globus: Globus, path: str) -> dict[str, Any]:
    return dict(globus.ok(globus.get(f"/operation/endpoint/{SCRATCH}/stat", params={"path": path})))


def auto(source: str, destination: str) -> dict[str, Any]:
    """A transfer item without `recursive`, as globus-cli sends it without --recursive."""
    return {"DATA_TYPE": "transfer_item", "source_path": source, "destination_path": destination}


def failed_with(globus: Globus, task_id: str, code: str) -> None:
    document = globus.finish(task_id)
    assert (document["status"], document["fatal_error"]["code"]) == ("FAILED", code)
    assert globus.events(task_id)[0]["code"] == code
    assert globus.ok(globus.get(f"/task/{task_id}/successful_transfers"))["DATA"] == []


@pytest.mark.emulator(scenario_text=CONFLICTS)
def test_a_file_onto_a_directory_fails_with_is_a_directory_and_keeps_the_directory(globus: Globus):
    failed_with(globus, globus.transfer(item("/src/summary.csv", "/folder")), "IS_A_DIRECTORY")
    assert stat(globus, "/folder")["type"] == "dir"
    assert globus.ls("/folder/") == ["inside.txt"]


@pytest.mark.emulator(scenario_text=CONFLICTS)
def test_a_directory_onto_a_file_fails_with_not_a_directory_and_keeps_the_file(globus: Globus):
    failed_with(globus, globus.transfer(item("/src/", "/plain.txt/")), "NOT_A_DIRECTORY")
    assert (stat(globus, "/plain.txt")["type"], stat(globus, "/plain.txt")["size"]) == ("file", 11)


@pytest.mark.emulator(scenario_text=CONFLICTS)
def test_a_file_below_a_file_fails_with_not_a_directory(globus: Globus):
    task_id = globus.transfer(item("/src/summary.csv", "/plain.txt/summary.csv"))
    failed_with(globus, task_id, "NOT_A_DIRECTORY")
    assert stat(globus, "/plain.txt")["type"] == "file"


@pytest.mark.emulator(scenario_text=CONFLICTS)
def test_conflicts_inside_a_recursive_copy_fail_it_even_with_skip_source_errors(globus: Globus):
    task_id = globus.transfer(item("/src/", "/dst/"), skip_source_errors=True)
    document = globus.finish(task_id)
    assert document["status"] == "FAILED"
    assert document["fatal_error"]["code"] in ("IS_A_DIRECTORY", "NOT_A_DIRECTORY")
    assert stat(globus, "/dst/notes")["type"] == "file", "the file the notes directory would replace"
    assert stat(globus, "/dst/reads.fastq")["type"] == "dir", "the directory a file would replace"
    assert globus.ls("/dst/reads.fastq/") == ["keep.txt"]
    rows = globus.ok(globus.get(f"/task/{task_id}/successful_transfers"))["DATA"]
    assert all(not r["destination_path"].endswith(("reads.fastq", "readme.txt")) for r in rows)


def test_an_item_without_recursive_copies_a_directory_recursively(globus: Globus):
    with_slash = globus.transfer(auto("/~/experiments/run-001/", "/~/auto/"))
    without = globus.transfer(auto("/~/experiments/run-001", "/~/auto-2"))
    for task_id, destination in ((with_slash, "/~/auto/"), (without, "/~/auto-2/")):
        document = globus.finish(task_id)
        assert (document["status"], document["files_transferred"]) == ("SUCCEEDED", 3)
        assert globus.ls(destination) == ["notes", "reads.fastq", "summary.csv"]


def test_an_item_without_recursive_copies_a_file_as_a_file(globus: Globus):
    task_id = globus.transfer(auto("/~/experiments/run-001/summary.csv", "/~/one.csv"))
    assert globus.finish(task_id)["status"] == "SUCCEEDED"
    assert (stat(globus, "/~/one.csv")["type"], stat(globus, "/~/one.csv")["size"]) == ("file", 2048)


def test_an_explicit_recursive_false_still_refuses_a_trailing_slash(globus: Globus):
    document = globus.transfer_document(item("/~/experiments/run-001/", "/~/x/", recursive=False))
    body = globus.error(globus.post("/transfer", document), 400, "ClientError.BadRequest")
    assert "DATA[0].source_path" in body["message"]


@pytest.mark.emulator(scenario_text=CONFLICTS)
def test_a_file_the_task_wrote_cannot_become_a_parent_later_in_the_task(globus: Globus):
    """Doc 3.2, transfer_item: "all parent directories are created automatically", which a file
    written by an earlier item of the same task prevents."""
    items = [item("/src/summary.csv", "/d/x"), item("/src/reads.fastq", "/d/x/y")]
    failed_with_after_files(globus, globus.transfer(*items), "NOT_A_DIRECTORY", ["/d/x"])
    assert stat(globus, "/d/x")["type"] == "file"
    assert globus.ls("/d/") == ["x"]


@pytest.mark.emulator(scenario_text=CONFLICTS)
def test_a_file_cannot_be_written_where_the_task_made_a_directory(globus: Globus):
    items = [item("/src/summary.csv", "/d/x/y"), item("/src/reads.fastq", "/d/x")]
    failed_with_after_files(globus, globus.transfer(*items), "IS_A_DIRECTORY", ["/d/x/y"])
    assert stat(globus, "/d/x")["type"] == "dir"
    task_id = globus.transfer(item("/src/", "/e/"), item("/src/summary.csv", "/e/notes"))
    failed_with_after_files(
        globus, task_id, "IS_A_DIRECTORY", ["/e/notes/readme.txt", "/e/reads.fastq", "/e/summary.csv"]
    )


def failed_with_after_files(globus: Globus, task_id: str, code: str, copied: list[str]) -> None:
    document = globus.finish(task_id)
    assert (document["status"], document["fatal_error"]["code"]) == ("FAILED", code)
    rows = globus.ok(globus.get(f"/task/{task_id}/successful_transfers"))["DATA"]
    assert sorted(row["destination_path"] for row in rows) == copied


@pytest.mark.emulator(scenario_text=CONFLICTS)
def test_a_task_is_judged_against_what_running_tasks_will_write(globus: Globus):
    """Doc 3.2, transfer_item (parents "are created automatically"): a task submitted while another
    is still to write a file at /p/q cannot make /p/q a directory, and the reverse."""
    writes_file = globus.transfer(item("/src/summary.csv", "/p/q"))
    makes_directory = globus.transfer(item("/src/", "/p/q/"))
    file_below = globus.transfer(item("/src/reads.fastq", "/p/q/r"))
    assert globus.finish(writes_file)["status"] == "SUCCEEDED"
    failed_with(globus, makes_directory, "NOT_A_DIRECTORY")
    failed_with(globus, file_below, "NOT_A_DIRECTORY")
    assert stat(globus, "/p/q")["type"] == "file"
    makes_directory = globus.transfer(item("/src/", "/s/t/"))
    writes_file = globus.transfer(item("/src/summary.csv", "/s/t"))
    assert globus.finish(makes_directory)["status"] == "SUCCEEDED"
    failed_with(globus, writes_file, "IS_A_DIRECTORY")
    assert stat(globus, "/s/t")["type"] == "dir"


@pytest.mark.emulator(scenario_text=CONFLICTS)
def test_a_canceled_task_no_longer_stands_in_the_way(globus: Globus):
    canceled = globus.transfer(item("/src/summary.csv", "/p/q"))
    assert globus.ok(globus.post(f"/task/{canceled}/cancel"))["code"] == "Canceled"
    assert globus.finish(globus.transfer(item("/src/", "/p/q/")))["status"] == "SUCCEEDED"
    assert stat(globus, "/p/q")["type"] == "dir"
