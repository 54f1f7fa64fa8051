"""Doc 2.3: sync_level, filter_rules, recursive_symlinks, delete_destination_extra, preserve_timestamp,
verify_checksum, and the file / symlink items of 3.2.2-3.2.3."""

from __future__ import annotations

from typing import Any

import pytest
from globus_helpers import LAB, SCRATCH, Globus, globus, item, with_trees

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


SYMLINKS = with_trees(
    lab="""
    - {path: d/real.txt, size: 7}
    - {path: d/good, type: symlink, target: real.txt}
    - {path: d/broken, type: symlink, target: /nowhere}
    - {path: e/real.txt, size: 7}
    - {path: e/good, type: symlink, target: /e/real.txt}
""",
    scratch="",
)


@pytest.mark.emulator(scenario_text=SYMLINKS)
def test_copy_follows_valid_links_and_an_invalid_one_fails_the_task(globus: Globus):
    good = globus.transfer(item("/e/", "/e/"), recursive_symlinks="copy")
    assert globus.finish(good)["status"] == "SUCCEEDED"
    assert stat(globus, "/e/good")["type"] == "file" and stat(globus, "/e/good")["link_target"] is None
    bad = globus.transfer(item("/d/", "/d/"), recursive_symlinks="copy")
    assert globus.finish(bad)["fatal_error"]["code"] == "INVALID_SYMLINK"


@pytest.mark.emulator(scenario_text=SYMLINKS)
def test_kept_symlinks_count_as_symlinks_not_files(globus: Globus):
    done = globus.finish(globus.transfer(item("/d/", "/kept/"), recursive_symlinks="keep"))
    assert (done["status"], done["files"], done["symlinks"], done["directories"]) == ("SUCCEEDED", 1, 2, 1)


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


MIRROR = with_trees(
    lab="""
    - {path: src/keep.txt, size: 3}
    - {path: src/sub/inner.txt, size: 3}
    - {path: src/empty, type: dir}
    - {path: src/link, type: symlink, target: keep.txt}
""",
    scratch="""
    - {path: dst/keep.txt, size: 3}
    - {path: dst/sub/gone.txt, size: 3}
    - {path: dst/stale/old.txt, size: 3}
    - {path: dst/stale/deeper/x.txt, size: 3}
    - {path: dst/emptydir, type: dir}
    - {path: dst/empty, type: dir}
    - {path: dst/link, type: symlink, target: keep.txt}
    - {path: dst/other-link, type: symlink, target: keep.txt}
""",
)


@pytest.mark.emulator(scenario_text=MIRROR)
def test_delete_destination_extra_removes_extra_directories_and_symlinks(globus: Globus):
    task_id = globus.transfer(item("/src/", "/dst/"), delete_destination_extra=True)
    assert globus.finish(task_id)["status"] == "SUCCEEDED"
    assert globus.ls("/dst/") == ["empty", "keep.txt", "sub"], "ignore: every destination symlink goes"
    assert globus.ls("/dst/sub/") == ["inner.txt"]


@pytest.mark.emulator(scenario_text=MIRROR)
def test_delete_destination_extra_with_keep_keeps_the_source_symlinks(globus: Globus):
    task_id = globus.transfer(
        item("/src/", "/dst/"), delete_destination_extra=True, recursive_symlinks="keep"
    )
    globus.finish(task_id)
    listed = globus.ok(globus.get(f"/operation/endpoint/{SCRATCH}/ls", params={"path": "/dst/"}))["DATA"]
    assert [(e["name"], e["link_target"]) for e in listed] == [
        ("empty", None),
        ("keep.txt", None),
        ("link", "keep.txt"),
        ("sub", None),
    ]


@pytest.mark.emulator(scenario_text=MIRROR)
def test_delete_destination_extra_applies_only_to_recursive_items(globus: Globus):
    task_id = globus.transfer(item("/src/keep.txt", "/dst/keep.txt"), delete_destination_extra=True)
    assert globus.finish(task_id)["status"] == "SUCCEEDED"
    assert globus.ls("/dst/") == ["empty", "emptydir", "keep.txt", "link", "other-link", "stale", "sub"]


HOST_FORCED = """
extends: default
services:
  globus:
    endpoints:
      - {id: aaaaaaaa-0000-4000-8000-000000000001, display_name: Lab, owner: researcher@example.org,
         force_encryption: true, tree: {entries: [{path: share/a.txt, size: 1}]}}
      - {id: bbbbbbbb-0000-4000-8000-000000000002, display_name: Scratch, owner: researcher@example.org}
      - {id: cccccccc-0000-4000-8000-000000000003, display_name: Share, owner: researcher@example.org,
         entity_type: GCSv5_guest_collection, host_endpoint: aaaaaaaa-0000-4000-8000-000000000001,
         host_path: /share/}
"""


@pytest.mark.emulator(scenario_text=HOST_FORCED)
def test_encryption_is_forced_by_a_shared_endpoints_host(globus: Globus):
    forced = globus.transfer(item("/a.txt", "/b.txt"), source="cccccccc-0000-4000-8000-000000000003")
    assert globus.task(forced)["encrypt_data"] is True
    plain = globus.transfer(item("/b.txt", "/c.txt"), source=SCRATCH, destination=SCRATCH)
    assert globus.task(plain)["encrypt_data"] is False
    asked = globus.transfer(item("/b.txt", "/d.txt"), source=SCRATCH, destination=SCRATCH, encrypt_data=True)
    assert globus.task(asked)["encrypt_data"] is True


def test_a_recursive_item_may_name_a_symlink_to_a_directory(globus: Globus):
    task_id = globus.transfer(item("/~/experiments/latest/", "/~/deep/er/latest/"))
    document = globus.finish(task_id)
    assert (document["status"], document["files_transferred"]) == ("SUCCEEDED", 1)
    assert globus.ls("/~/deep/er/latest/") == ["reads.fastq"], "every parent was created"


VERIFY = """
extends: default
services:
  globus:
    data_faults:
      - {match: "*/run-001/summary.csv", error: VERIFY_CHECKSUM}
"""


@pytest.mark.emulator(scenario_text=VERIFY)
def test_a_checksum_mismatch_is_retransferred_and_counted_as_a_fault(globus: Globus):
    task_id = globus.transfer(item("/~/experiments/run-001/", "/~/v/"), verify_checksum=True)
    document = globus.finish(task_id)
    assert (document["status"], document["faults"], document["files_transferred"]) == ("SUCCEEDED", 1, 3)
    assert [e["code"] for e in globus.events(task_id, filter="is_error:1")] == ["VERIFY_CHECKSUM"]


def test_notify_options_are_accepted_and_not_shown_on_the_task(globus: Globus):
    """Doc 2.2 takes notify_on_succeeded/failed/inactive; reference 5 lists every task field, and
    the real task captures it cites (ACTIVE, SUCCEEDED, FAILED, a DELETE) show no notify_on_* key,
    so the task document shows none either, whatever was asked."""
    task_id = globus.transfer(notify_on_succeeded=False, notify_on_failed=True, notify_on_inactive=False)
    document = globus.finish(task_id)
    assert document["status"] == "SUCCEEDED"
    assert not [key for key in document if key.startswith("notify")]


@pytest.mark.emulator(scenario_text=SYMLINKS)
def test_preserve_timestamp_keeps_file_and_symlink_times_but_not_directory_times(globus: Globus):
    globus.advance(3600)  # an hour after the trees were made
    task_id = globus.transfer(item("/d/", "/t/"), preserve_timestamp=True, recursive_symlinks="keep")
    assert globus.finish(task_id)["status"] == "SUCCEEDED"
    source_file, copied_file = stat(globus, "/d/real.txt", LAB), stat(globus, "/t/real.txt")
    assert copied_file["last_modified"] == source_file["last_modified"]
    assert (
        stat(globus, "/t/broken")["link_last_modified"]
        == stat(globus, "/d/broken", LAB)["link_last_modified"]
    )
    assert stat(globus, "/t")["last_modified"] != stat(globus, "/d", LAB)["last_modified"]


UNLISTABLE = """
extends: default
services:
  globus:
    data_faults:
      - {match: "*/run-001/notes", error: PERMISSION_DENIED, stage: enumeration}
      - {match: "*/run-002", error: CONNECT_FAILED, stage: enumeration}
"""


@pytest.mark.emulator(scenario_text=UNLISTABLE)
def test_a_source_directory_that_cannot_be_listed_fails_or_is_skipped(globus: Globus):
    failed = globus.finish(globus.transfer(item("/~/experiments/run-001/", "/~/a/")))
    assert (failed["status"], failed["fatal_error"]["code"]) == ("FAILED", "PERMISSION_DENIED")
    task_id = globus.transfer(item("/~/experiments/run-001/", "/~/b/"), skip_source_errors=True)
    skipped = globus.finish(task_id)
    assert (skipped["status"], skipped["subtasks_skipped_errors"], skipped["files_transferred"]) == (
        "SUCCEEDED",
        1,
        2,
    )
    assert globus.ls("/~/b/") == ["reads.fastq", "summary.csv"]
    rows = globus.ok(globus.get(f"/task/{task_id}/skipped_errors"))["DATA"]
    assert [(r["error_code"], r["source_path"], r["is_directory"]) for r in rows] == [
        ("PERMISSION_DENIED", "/home/researcher/experiments/run-001/notes", True)
    ]


@pytest.mark.emulator(scenario_text=UNLISTABLE)
def test_a_transient_listing_error_is_retried(globus: Globus):
    task_id = globus.transfer(item("/~/experiments/run-002/", "/~/c/"))
    document = globus.finish(task_id)
    assert (document["status"], document["faults"], document["files_transferred"]) == ("SUCCEEDED", 1, 1)
    assert [e["code"] for e in globus.events(task_id, filter="is_error:1")] == ["CONNECT_FAILED"]


EXTRA = with_trees(
    lab="- {path: src/a.txt, size: 100}",
    scratch="""
    - {path: dst/a.txt, size: 100}
    - {path: dst/huge.bin, size: 10737418240}
""",
)


@pytest.mark.emulator(scenario_text=EXTRA)
def test_removed_extras_are_not_transferred_bytes_and_take_no_time_per_byte(globus: Globus):
    """Doc 2.3, delete_destination_extra "delete files ... that don't exist in the source": a removal
    moves no data, so it adds nothing to bytes_transferred and is not timed by its size."""
    task_id = globus.transfer(item("/src/", "/dst/"), sync_level=1, delete_destination_extra=True)
    globus.advance(5)
    document = globus.task(task_id)
    assert document["status"] == "SUCCEEDED", "10 GiB at the default bandwidth would take 100 s"
    assert (document["bytes_transferred"], document["files_transferred"]) == (0, 0)
    assert globus.ls("/dst/") == ["a.txt"]


CHECKSUMMED = with_trees(lab="- {path: src/a.txt, size: 100, checksum: 0cc175b9c0f1b6a8}")


@pytest.mark.emulator(scenario_text=CHECKSUMMED)
def test_an_external_checksum_that_does_not_match_fails_the_file(globus: Globus):
    """Reference 3, `add_item(..., external_checksum=, checksum_algorithm=)`: the copy is checked
    against the checksum given; a mismatch is EXTERNAL_CHECKSUM_MISMATCH (an event code, reference
    5.2), and the file is not left at the destination."""
    good = {**item("/src/a.txt", "/out/good.txt"), "external_checksum": "0CC175B9C0F1B6A8"}
    copied = globus.transfer({**good, "checksum_algorithm": "SHA1"}, destination=LAB)
    assert globus.finish(copied)["status"] == "SUCCEEDED"
    row = globus.ok(globus.get(f"/task/{copied}/successful_transfers"))["DATA"][0]
    assert (row["checksum"], row["checksum_algorithm"]) == ("0cc175b9c0f1b6a8", "SHA1")
    bad = {**item("/src/a.txt", "/out/bad.txt"), "external_checksum": "ffffffffffffffff"}
    document = globus.finish(globus.transfer(bad, destination=LAB))
    assert (document["status"], document["fatal_error"]["code"]) == ("FAILED", "EXTERNAL_CHECKSUM_MISMATCH")
    assert globus.ls("/out/", endpoint=LAB) == ["good.txt"]
    globus.error(
        globus.post("/transfer", globus.transfer_document({**good, "external_checksum": 7}, destination=LAB)),
        400,
        "ClientError.BadRequest",
    )


def test_local_users_are_shown_on_the_task(globus: Globus):
    """Reference 5, task document: `source_local_user` / `destination_local_user` (str | null) and
    their `_status`; a delete's `local_user` is its endpoint's, the task's source."""
    task_id = globus.transfer(source_local_user="alice", destination_local_user="bob")
    document = globus.task(task_id)
    assert (document["source_local_user"], document["source_local_user_status"]) == ("alice", "OK")
    assert (document["destination_local_user"], document["destination_local_user_status"]) == ("bob", "OK")
    plain = globus.task(globus.transfer())
    assert (plain["source_local_user"], plain["destination_local_user_status"]) == (None, None)
    deleting = globus.task(globus.delete("/~/experiments/.cache", local_user="carol"))
    assert (deleting["source_local_user"], deleting["destination_local_user"]) == ("carol", None)
