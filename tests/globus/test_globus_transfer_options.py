"""Doc 2.3: sync_level, filter_rules, recursive_symlinks, delete_destination_extra, preserve_timestamp,
verify_checksum, and the file / symlink items of 3.2.2-3.2.3."""

from __future__ import annotations

from typing import Any

import pytest
from globus_helpers import LAB, SCRATCH, Globus, globus, item

__all__ = ["globus"]
SYNC = "globus-sync-levels"


def stat(globus: Globus, path: str, endpoint: str = SCRATCH) -> dict[str, Any]:
    return dict(globus.ok(globus.get(f"/operation/endpoint/{endpoint}/stat", params={"path": path})))


@pytest.mark.emulator(scenario=SYNC)
@pytest.mark.parametrize(
    ("level", "copied"),
    [
        (None, ["changed.txt", "new.txt", "older.txt", "resized.txt", "same.txt"]),
        (0, ["new.txt"]),
        (1, ["new.txt", "resized.txt"]),
        (2, ["new.txt", "older.txt", "resized.txt"]),
        (3, ["changed.txt", "new.txt", "older.txt", "resized.txt"]),
    ],
)
def test_sync_level_copies_only_what_the_level_says_differs(globus: Globus, level, copied):
    task_id = globus.transfer(item("/src/", "/dst/"), sync_level=level)
    document = globus.finish(task_id)
    assert document["status"] == "SUCCEEDED"
    assert document["files_transferred"] == len(copied)
    assert document["files_skipped"] == 5 - len(copied)
    assert document["sync_level"] == level
    rows = globus.ok(globus.get(f"/task/{task_id}/successful_transfers"))["DATA"]
    assert sorted(r["destination_path"].rsplit("/", 1)[1] for r in rows) == copied


@pytest.mark.emulator(scenario=SYNC)
def test_delete_destination_extra_mirrors_the_source(globus: Globus):
    globus.finish(globus.transfer(item("/src/", "/dst/"), sync_level=0, delete_destination_extra=True))
    assert globus.ls("/dst/") == ["changed.txt", "new.txt", "older.txt", "resized.txt", "same.txt"]


@pytest.mark.emulator(scenario=SYNC)
def test_without_delete_destination_extra_extras_stay(globus: Globus):
    globus.finish(globus.transfer(item("/src/", "/dst/"), sync_level=0))
    assert "extra.txt" in globus.ls("/dst/")


@pytest.mark.emulator(scenario=SYNC)
def test_preserve_timestamp_keeps_the_source_mtime(globus: Globus):
    globus.finish(globus.transfer(item("/src/new.txt", "/kept/new.txt"), preserve_timestamp=True))
    globus.finish(globus.transfer(item("/src/new.txt", "/fresh/new.txt")))
    assert stat(globus, "/kept/new.txt")["last_modified"] == "2025-01-01 00:00:00+00:00"
    assert stat(globus, "/fresh/new.txt")["last_modified"] != "2025-01-01 00:00:00+00:00"


@pytest.mark.emulator(scenario=SYNC)
def test_verify_checksum_reports_checksums_of_copied_files(globus: Globus):
    task_id = globus.transfer(item("/src/new.txt", "/v/new.txt"), verify_checksum=True)
    document = globus.finish(task_id)
    assert document["bytes_checksummed"] == 100
    row = globus.ok(globus.get(f"/task/{task_id}/successful_transfers"))["DATA"][0]
    assert (row["checksum"], row["checksum_algorithm"]) == ("c-new", "MD5")


def test_filter_rules_include_and_exclude_by_name_first_match_wins(globus: Globus):
    rules = [
        {"DATA_TYPE": "filter_rule", "method": "include", "name": "reads.*", "type": "file"},
        {"DATA_TYPE": "filter_rule", "method": "exclude", "name": "*.fastq"},
        {"DATA_TYPE": "filter_rule", "method": "exclude", "name": "notes", "type": "dir"},
    ]
    task_id = globus.transfer(item("/~/experiments/run-001/", "/~/f/"), filter_rules=rules)
    document = globus.finish(task_id)
    assert document["filter_rules"][0]["name"] == "reads.*"
    assert globus.ls("/~/f/") == ["reads.fastq", "summary.csv"]


def test_recursive_symlinks_ignore_keep_and_copy(globus: Globus):
    ignore = globus.transfer(item("/~/experiments/", "/~/ignore/"))
    keep = globus.transfer(item("/~/experiments/", "/~/keep/"), recursive_symlinks="keep")
    copy = globus.transfer(item("/~/experiments/", "/~/copy/"), recursive_symlinks="copy")
    for task_id in (ignore, keep, copy):
        assert globus.finish(task_id)["status"] != "ACTIVE"
    assert "latest" not in globus.ls("/~/ignore/")
    kept = globus.ok(globus.get(f"/operation/endpoint/{SCRATCH}/ls", params={"path": "/~/keep/"}))["DATA"]
    link = next(e for e in kept if e["name"] == "latest")
    assert link["link_target"] == "run-002" and link["type"] == "dir"
    assert globus.finish(copy)["status"] == "SUCCEEDED"
    copied = globus.ok(globus.get(f"/operation/endpoint/{SCRATCH}/ls", params={"path": "/~/copy/"}))["DATA"]
    latest = next(e for e in copied if e["name"] == "latest")
    assert (latest["type"], latest["link_target"]) == ("dir", None), "followed: a real directory"
    assert globus.ls("/~/copy/latest/") == ["reads.fastq"]


SYMLINKS = """
extends: default
services:
  globus:
    endpoints:
      - id: aaaaaaaa-0000-4000-8000-000000000001
        display_name: Lab
        owner: researcher@example.org
        tree:
          entries:
            - {path: d/real.txt, size: 7}
            - {path: d/good, type: symlink, target: real.txt}
            - {path: d/broken, type: symlink, target: /nowhere}
            - {path: e/real.txt, size: 7}
            - {path: e/good, type: symlink, target: /e/real.txt}
      - id: bbbbbbbb-0000-4000-8000-000000000002
        display_name: Scratch
        owner: researcher@example.org
"""


@pytest.mark.emulator(scenario_text=SYMLINKS)
def test_copy_follows_valid_links_and_an_invalid_one_fails_the_task(globus: Globus):
    good = globus.transfer(item("/e/", "/e/"), recursive_symlinks="copy")
    assert globus.finish(good)["status"] == "SUCCEEDED"
    assert stat(globus, "/e/good")["type"] == "file" and stat(globus, "/e/good")["link_target"] is None
    bad = globus.transfer(item("/d/", "/d/"), recursive_symlinks="copy")
    assert globus.finish(bad)["fatal_error"]["code"] == "INVALID_SYMLINK"


@pytest.mark.emulator(scenario_text=SYMLINKS)
def test_a_symlink_item_duplicates_the_link_itself(globus: Globus):
    body = globus.transfer_document(
        DATA=[
            {
                "DATA_TYPE": "transfer_symlink_item",
                "source_path": "/d/broken",
                "destination_path": "/l/broken",
            }
        ]
    )
    task_id = globus.ok(globus.post("/transfer", body), 202)["task_id"]
    assert globus.finish(task_id)["status"] == "SUCCEEDED"
    listed = globus.ok(globus.get(f"/operation/endpoint/{SCRATCH}/ls", params={"path": "/l/"}))["DATA"]
    assert [(e["name"], e["type"], e["link_target"]) for e in listed] == [
        ("broken", "invalid_symlink", "/nowhere")
    ]
    not_a_link = globus.transfer_document(
        DATA=[
            {"DATA_TYPE": "transfer_symlink_item", "source_path": "/d/real.txt", "destination_path": "/l/x"}
        ]
    )
    failed = globus.ok(globus.post("/transfer", not_a_link), 202)["task_id"]
    assert globus.finish(failed)["fatal_error"]["code"] == "NOT_A_SYMLINK"


@pytest.mark.emulator(scenario_text=SYMLINKS)
def test_a_file_item_follows_a_symlink_to_a_file(globus: Globus):
    task_id = globus.transfer(item("/d/good", "/x/copied.txt"))
    assert globus.finish(task_id)["status"] == "SUCCEEDED"
    assert stat(globus, "/x/copied.txt")["size"] == 7


def test_a_file_item_creates_every_parent_directory(globus: Globus):
    task_id = globus.transfer(item("/~/experiments/run-001/summary.csv", "/~/a/b/c/summary.csv"))
    document = globus.finish(task_id)
    assert (document["files"], document["directories"], document["files_transferred"]) == (1, 0, 1)
    assert globus.ls("/~/a/b/c/") == ["summary.csv"]


def test_a_second_task_can_copy_what_the_first_one_copied(globus: Globus):
    globus.finish(globus.transfer(item("/~/experiments/run-001/", "/~/stage/")))
    back = globus.transfer(item("/~/stage/", "/~/returned/"), source=SCRATCH, destination=LAB)
    assert globus.finish(back)["files_transferred"] == 3
    assert globus.ls("/~/returned/", endpoint=LAB) == ["notes", "reads.fastq", "summary.csv"]
