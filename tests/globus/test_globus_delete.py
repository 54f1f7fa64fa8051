"""Doc 2.6-2.7 and 3.3: delete tasks, recursive, ignore_missing and interpret_globs."""

from __future__ import annotations

import pytest
from globus_helpers import LAB, Globus, globus, with_trees

from emulators.globus.deletion import glob_pattern

__all__ = ["globus"]
GLOBS = "globus-delete-globs"


def logs(globus: Globus) -> list[str]:
    return globus.ls("/logs/", endpoint=LAB)


def test_a_delete_removes_files_as_the_task_progresses(globus: Globus):
    task_id = globus.delete("/~/experiments/run-001/summary.csv", "/~/experiments/run-002/reads.fastq")
    document = globus.task(task_id)
    assert (document["type"], document["destination_endpoint_id"], document["status"]) == (
        "DELETE",
        None,
        "ACTIVE",
    )
    assert "summary.csv" in globus.ls("/~/experiments/run-001/", endpoint=LAB)
    done = globus.finish(task_id)
    assert (done["status"], done["files"]) == ("SUCCEEDED", 2)
    assert "summary.csv" not in globus.ls("/~/experiments/run-001/", endpoint=LAB)
    assert globus.ls("/~/experiments/run-002/", endpoint=LAB) == []


def test_a_directory_needs_recursive(globus: Globus):
    refused = globus.finish(globus.delete("/~/experiments/run-001"))
    assert refused["fatal_error"]["code"] == "IS_A_DIRECTORY"
    assert "run-001" in globus.ls("/~/experiments/", endpoint=LAB)
    done = globus.finish(globus.delete("/~/experiments/run-001", recursive=True))
    assert (done["status"], done["files"], done["directories"]) == ("SUCCEEDED", 3, 2)
    assert "run-001" not in globus.ls("/~/experiments/", endpoint=LAB)


def test_a_missing_path_fails_unless_ignore_missing(globus: Globus):
    assert globus.finish(globus.delete("/~/nope"))["fatal_error"]["code"] == "FILE_NOT_FOUND"
    assert globus.finish(globus.delete("/~/nope", ignore_missing=True))["status"] == "SUCCEEDED"


def test_deleting_needs_write_access(globus: Globus):
    document = {
        "DATA_TYPE": "delete",
        "submission_id": "8d2a3c1e-0000-4000-8000-000000000001",
        "endpoint": LAB,
        "DATA": [{"DATA_TYPE": "delete_item", "path": "/~/experiments/"}],
    }
    globus.error(globus.post("/delete", document, token="globus-colleague-token"), 403, "PermissionDenied")


@pytest.mark.emulator(scenario=GLOBS)
def test_globs_match_the_last_component_but_not_dot_files(globus: Globus):
    done = globus.finish(globus.delete("/logs/*.log", interpret_globs=True))
    assert done["status"] == "SUCCEEDED"
    assert logs(globus) == [".hidden.log", "[x].txt", "c.txt", "old"]


@pytest.mark.emulator(scenario=GLOBS)
def test_a_glob_that_matches_a_directory_needs_recursive(globus: Globus):
    assert (
        globus.finish(globus.delete("/logs/o*", interpret_globs=True))["fatal_error"]["code"]
        == "IS_A_DIRECTORY"
    )
    assert (
        globus.finish(globus.delete("/logs/o*", interpret_globs=True, recursive=True))["status"]
        == "SUCCEEDED"
    )
    assert "old" not in logs(globus)


@pytest.mark.emulator(scenario=GLOBS)
def test_a_literal_dot_matches_dot_files(globus: Globus):
    globus.finish(globus.delete("/logs/.*", interpret_globs=True))
    assert ".hidden.log" not in logs(globus)
    assert "a.log" in logs(globus)


@pytest.mark.emulator(scenario=GLOBS)
def test_backslash_escapes_make_glob_characters_literal(globus: Globus):
    globus.finish(globus.delete(r"/logs/star\*.log", interpret_globs=True))
    assert "star*.log" not in logs(globus)
    assert "a.log" in logs(globus), "the escaped star matched nothing else"
    globus.finish(globus.delete(r"/logs/\[x\].txt", interpret_globs=True))
    assert "[x].txt" not in logs(globus)


@pytest.mark.emulator(scenario=GLOBS)
def test_without_interpret_globs_every_character_is_literal(globus: Globus):
    globus.finish(globus.delete("/logs/star*.log"))
    assert "star*.log" not in logs(globus) and "a.log" in logs(globus)


@pytest.mark.emulator(scenario=GLOBS)
def test_a_glob_with_no_match_is_file_not_found_unless_ignore_missing(globus: Globus):
    assert (
        globus.finish(globus.delete("/logs/*.zip", interpret_globs=True))["fatal_error"]["code"]
        == "FILE_NOT_FOUND"
    )
    done = globus.finish(globus.delete("/logs/*.zip", interpret_globs=True, ignore_missing=True))
    assert done["status"] == "SUCCEEDED"


@pytest.mark.parametrize(
    ("pattern", "name", "matches"),
    [
        ("*.log", "a.log", True),
        ("?.log", "ab.log", False),
        ("[ab].log", "b.log", True),
        ("[!ab].log", "b.log", False),
        (r"\*", "*", True),
        (r"\*", "x", False),
        ("a[", "a[", True),
    ],
)
def test_glob_patterns(pattern: str, name: str, matches: bool):
    assert bool(glob_pattern(pattern).fullmatch(name)) is matches


def test_a_glob_under_a_symlinked_directory_follows_the_link(globus: Globus):
    done = globus.finish(globus.delete("/~/experiments/latest/*.fastq", interpret_globs=True))
    assert (done["status"], done["files"]) == ("SUCCEEDED", 1)
    assert globus.ls("/~/experiments/run-002/", endpoint=LAB) == []


def test_symlinks_matched_by_a_glob_are_deleted_not_followed(globus: Globus):
    globus.finish(globus.delete("/~/experiments/lat*", interpret_globs=True))
    assert globus.ls("/~/experiments/", endpoint=LAB) == [".cache", "run-001", "run-002"]
    assert globus.ls("/~/experiments/run-002/", endpoint=LAB) == ["reads.fastq"]


@pytest.mark.emulator(scenario=GLOBS)
def test_escapes_are_removed_from_the_rest_of_the_path_too(globus: Globus):
    globus.finish(globus.delete(r"/lo\gs/*.txt", interpret_globs=True))
    assert logs(globus) == [".hidden.log", "a.log", "b.log", "old", "star*.log"]


@pytest.mark.emulator(scenario=GLOBS)
def test_dot_and_dot_dot_are_never_matched(globus: Globus):
    done = globus.finish(globus.delete("/logs/.*", interpret_globs=True, recursive=True))
    assert done["status"] == "SUCCEEDED"
    assert logs(globus) == ["[x].txt", "a.log", "b.log", "c.txt", "old", "star*.log"], "only .hidden.log"
    assert globus.ls("/logs/old/", endpoint=LAB) == ["x.log"]


@pytest.mark.emulator(scenario=GLOBS)
def test_glob_characters_before_the_last_component_are_literal(globus: Globus):
    refused = globus.finish(globus.delete("/l*gs/a.log", interpret_globs=True))
    assert refused["fatal_error"]["code"] == "FILE_NOT_FOUND"
    assert "a.log" in logs(globus)


@pytest.mark.emulator(scenario=GLOBS)
def test_the_second_to_last_component_must_be_a_directory(globus: Globus):
    not_dir = globus.finish(globus.delete("/logs/a.log/*", interpret_globs=True, ignore_missing=True))
    assert not_dir["fatal_error"]["code"] == "NOT_A_DIRECTORY"
    missing = globus.finish(globus.delete("/nowhere/*", interpret_globs=True))
    assert missing["fatal_error"]["code"] == "FILE_NOT_FOUND"
    assert (
        globus.finish(globus.delete("/nowhere/*", interpret_globs=True, ignore_missing=True))["status"]
        == "SUCCEEDED"
    )


def test_a_symlink_item_is_deleted_not_followed(globus: Globus):
    done = globus.finish(globus.delete("/~/experiments/latest"))
    outcome = (done["status"], done["files"], done["symlinks"])
    assert outcome == ("SUCCEEDED", 0, 1), "no recursive needed: it is a link"
    assert "latest" not in globus.ls("/~/experiments/", endpoint=LAB)
    assert globus.ls("/~/experiments/run-002/", endpoint=LAB) == ["reads.fastq"]


LINKS = with_trees(
    lab="""
    - {path: doomed/a.txt, size: 1}
    - {path: doomed/out, type: symlink, target: /kept}
    - {path: kept/b.txt, size: 1}
""",
)


@pytest.mark.emulator(scenario_text=LINKS)
def test_symlinks_met_in_a_recursive_delete_are_deleted_not_followed(globus: Globus):
    done = globus.finish(globus.delete("/doomed/", recursive=True))
    assert (done["status"], done["files"], done["symlinks"], done["directories"]) == ("SUCCEEDED", 1, 1, 1)
    assert globus.ls("/", endpoint=LAB) == ["kept"]
    assert globus.ls("/kept/", endpoint=LAB) == ["b.txt"]


@pytest.mark.parametrize("path", ["/", "/home/.."])
def test_a_recursive_delete_of_the_collection_root_is_refused(globus: Globus, path):
    document = {
        "DATA_TYPE": "delete",
        "submission_id": globus.ok(globus.get("/submission_id"))["value"],
        "endpoint": LAB,
        "recursive": True,
        "DATA": [{"DATA_TYPE": "delete_item", "path": path}],
    }
    body = globus.error(globus.post("/delete", document), 400, "ClientError.BadRequest")
    assert "DATA[0].path" in body["message"]
    assert globus.ok(globus.get("/task_list"))["total"] == 0
    assert "home" in globus.ls("/", endpoint=LAB)
