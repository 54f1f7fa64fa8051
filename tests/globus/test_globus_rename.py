"""A folder renamed while a task runs over it (doc 3.2, transfer_item: parent directories are made
when the task starts, not again for each file; reference 5.2: an endpoint's "No such file or
directory" is the event code FILE_NOT_FOUND, `550-GlobusError: v=1 c=PATH_NOT_FOUND`).

The task's files below the old path that are not done yet fail: the destination's fail the task
(they are not source errors, so skip_source_errors does not skip them) and the folders are not made
again under the old name; the source's are skipped with skip_source_errors. A rename by the API and
by the timeline action `rename_path` do the same.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from globus_helpers import LAB, SCRATCH, Globus, globus, item

from emulators.app import create_app
from emulators.core.scenario import ScenarioError

__all__ = ["globus"]
# 20 files of 1 MiB at 1 MiB/s after 5 s queued: at 10.5 s five files are copied, the sixth is on
# its way (its folder is made at once, at 5 s).
SLOW = pytest.mark.emulator(scenario="globus-slow-transfers")
BIG = item("/~/big/", "/~/big-copy/")
SECOND = 1048576


def rename(globus: Globus, endpoint: str, old: str, new: str) -> None:
    document = {"DATA_TYPE": "rename", "old_path": old, "new_path": new}
    assert globus.ok(globus.post(f"/operation/endpoint/{endpoint}/rename", document))["code"] == "FileRenamed"


@SLOW
def test_a_destination_folder_renamed_mid_task_fails_the_later_files_and_is_not_made_again(globus: Globus):
    task_id = globus.transfer(BIG)
    globus.advance(10.5)
    rename(globus, SCRATCH, "/~/big-copy", "/~/moved")
    document = globus.finish(task_id)
    assert (document["status"], document["fatal_error"]["code"]) == ("FAILED", "FILE_NOT_FOUND")
    assert (document["files_transferred"], document["bytes_transferred"]) == (5, 5 * SECOND)
    took = datetime.fromisoformat(document["completion_time"]) - datetime.fromisoformat(
        document["request_time"]
    )
    assert took == timedelta(seconds=11), "at the instant the sixth file would have been written"
    assert globus.ls("/~/moved/") == [f"part-{i:03d}.dat" for i in range(5)]
    assert "big-copy" not in globus.ls("/~/"), "the old folder is not made again"
    event = globus.events(task_id)[0]
    assert event["code"] == "FILE_NOT_FOUND"
    assert "Command: STOR /scratch/researcher/big-copy/part-005.dat" in event["details"]
    assert "No such file or directory" in event["details"]


@SLOW
def test_skip_source_errors_does_not_skip_a_destination_that_went_away(globus: Globus):
    task_id = globus.transfer(BIG, skip_source_errors=True)
    globus.advance(10.5)
    rename(globus, SCRATCH, "/~/big-copy", "/~/moved")
    assert globus.finish(task_id)["fatal_error"]["code"] == "FILE_NOT_FOUND"


@SLOW
def test_a_source_folder_renamed_mid_task_skips_or_fails_the_files_not_read_yet(globus: Globus):
    skipping = globus.transfer(BIG, skip_source_errors=True)
    failing = globus.transfer(item("/~/big/", "/~/other-copy/"))
    globus.advance(10.5)
    rename(globus, LAB, "/~/big", "/~/archived")
    skipped = globus.finish(skipping)
    assert (skipped["status"], skipped["subtasks_skipped_errors"], skipped["files_transferred"]) == (
        "SUCCEEDED",
        15,
        5,
    )
    records = globus.ok(globus.get(f"/task/{skipping}/skipped_errors"))["DATA"]
    assert (records[0]["error_code"], records[0]["source_path"]) == (
        "FILE_NOT_FOUND",
        "/home/researcher/big/part-005.dat",
    )
    assert globus.ls("/~/big-copy/") == [f"part-{i:03d}.dat" for i in range(5)]
    failed = globus.finish(failing)
    assert failed["fatal_error"]["code"] == "FILE_NOT_FOUND"
    assert "Command: RETR /home/researcher/big/part-005.dat" in globus.events(failing)[0]["details"]


@SLOW
def test_a_rename_elsewhere_leaves_the_task_alone(globus: Globus):
    task_id = globus.transfer(BIG)
    globus.advance(10.5)  # the collection's home exists once the task made its folder
    mkdir = {"DATA_TYPE": "mkdir", "path": "/~/big-copy-2"}
    globus.ok(globus.post(f"/operation/endpoint/{SCRATCH}/mkdir", mkdir))
    rename(globus, SCRATCH, "/~/big-copy-2", "/~/elsewhere")
    assert globus.finish(task_id)["status"] == "SUCCEEDED"
    assert len(globus.ls("/~/big-copy/")) == 20


@SLOW
def test_what_a_lost_file_would_have_written_no_longer_blocks_a_new_task(globus: Globus):
    """A later task is judged against what running tasks will still write: a directory where the
    renamed folder's lost file would have gone is fine once that file will never be written."""
    task_id = globus.transfer(BIG)
    globus.advance(10.5)
    rename(globus, SCRATCH, "/~/big-copy", "/~/moved")
    globus.ok(
        globus.post(f"/operation/endpoint/{SCRATCH}/mkdir", {"DATA_TYPE": "mkdir", "path": "/~/big-copy"})
    )
    later = globus.transfer(item("/~/big/", "/~/big-copy/part-019.dat/"))
    assert globus.finish(task_id)["status"] == "FAILED"
    assert globus.finish(later)["status"] == "SUCCEEDED"


TIMELINE = pytest.mark.emulator(
    scenario_text=f"""
extends: globus-slow-transfers
timeline:
  - {{at: 10.5, service: globus, action: rename_path,
     args: {{endpoint: {SCRATCH}, old_path: /~/big-copy, new_path: /~/moved}}}}
  - {{at: 11, service: globus, action: rename_path,
     args: {{endpoint: {SCRATCH}, old_path: /~/nowhere, new_path: /~/somewhere}}}}
"""
)


@TIMELINE
def test_the_timeline_action_rename_path_does_what_the_rename_operation_does(globus: Globus):
    task_id = globus.transfer(BIG)
    document = globus.finish(task_id)
    assert (document["fatal_error"]["code"], document["files_transferred"]) == ("FILE_NOT_FOUND", 5)
    assert globus.ls("/~/") == ["moved"], "the second rename has nothing to move: nothing happens"


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (f"{{endpoint: {SCRATCH}, old_path: /a}}", "timeline.0.args.new_path: required"),
        ("{old_path: /a, new_path: /b}", "timeline.0.args.endpoint: required"),
        (f"{{endpoint: {SCRATCH}, old_path: 5, new_path: /b}}", "timeline.0.args.old_path: must be a string"),
    ],
)
def test_rename_path_with_bad_arguments_is_refused_when_the_scenario_loads(args: str, problem: str):
    event = f"{{at: 5, service: globus, action: rename_path, args: {args}}}"
    text = f"version: 1\nextends: default\ntimeline:\n  - {event}\n"
    with pytest.raises(ScenarioError) as caught:
        create_app(scenario_text=text)
    assert f"<scenario>:4: {problem}" in str(caught.value)
