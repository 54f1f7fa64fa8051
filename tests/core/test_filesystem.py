"""The mutable file system: listings, stat, writes, removals, renames and attached engine transfers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from emulators.core.engine import RateModel, Transfer
from emulators.core.filesystem import FileSystem, Remove, Write
from emulators.core.storage import Entry, FileRange, Tree, TreeSpec

START = datetime(2030, 1, 1, tzinfo=UTC)
# One file a second: 100 bytes at 100 B/s, enumeration instant.
SLOW = RateModel(bandwidth=100, per_file=0, enumeration_rate=1_000_000)


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def fs(**spec: Any) -> FileSystem:
    return FileSystem(Tree(TreeSpec.model_validate(spec), 0, START), START)


def names(system: FileSystem, path: str, when: float = 0) -> list[str]:
    listing = system.listdir(path, at(when))
    assert listing is not None, f"{path} is not a directory"
    return [e.name for e in listing]


SMALL = {
    "entries": [
        {"path": "a/one.txt", "size": 10},
        {"path": "a/b/two.txt", "size": 20},
        {"path": "a/b/c/three.txt", "size": 30},
        {"path": "empty", "type": "dir"},
        {"path": "link", "type": "symlink", "target": "a"},
        {"path": "top.txt", "size": 5},
    ]
}


def test_listing_shows_immediate_children_with_implicit_directories():
    system = fs(**SMALL)
    assert names(system, "") == ["a", "empty", "link", "top.txt"]
    assert names(system, "a") == ["b", "one.txt"]
    assert names(system, "/a/b/") == ["c", "two.txt"]
    assert [e.kind for e in system.listdir("a", START) or []] == ["dir", "file"]
    assert names(system, "empty") == []


def test_listing_a_file_or_a_missing_path_is_none():
    system = fs(**SMALL)
    assert system.listdir("top.txt", START) is None
    assert system.listdir("nowhere", START) is None


def test_stat_finds_files_implicit_and_explicit_directories_and_symlinks():
    system = fs(**SMALL)
    assert system.stat("a/b/two.txt", START).size == 20  # type: ignore[union-attr]
    assert system.stat("a/b", START).kind == "dir"  # type: ignore[union-attr]
    assert system.stat("empty", START).kind == "dir"  # type: ignore[union-attr]
    assert system.stat("link", START).target == "a"  # type: ignore[union-attr]
    assert system.stat("", START).kind == "dir"  # type: ignore[union-attr]
    assert system.stat("a/missing", START) is None
    assert system.stat("a/b/two.txt/x", START) is None


GENERATED = {
    "generate": [
        {
            "count": 5000,
            "prefix": "data/set",
            "per_directory": 1000,
            "directory": "group-{group:02d}",
            "name": "f{index:05d}{ext}",
            "extensions": [".bin"],
            "size": {"distribution": "fixed", "value": 7},
        }
    ]
}


def test_a_generated_set_is_listed_a_group_at_a_time():
    system = fs(**GENERATED)
    assert names(system, "") == ["data"]
    assert names(system, "data") == ["set"]
    assert names(system, "data/set") == [f"group-{g:02d}" for g in range(5)]
    files = names(system, "data/set/group-02")
    assert len(files) == 1000
    assert files[0] == "f02000.bin"
    assert system.stat("data/set/group-04/f04999.bin", START).size == 7  # type: ignore[union-attr]
    assert system.stat("data/set/group-04/f05000.bin", START) is None


def test_writes_create_parents_and_overwrite():
    system = fs(**SMALL)
    system.write(Entry("new/deep/file.txt", "file", 3, at(1), "x"), at(1))
    assert names(system, "", 1) == ["a", "empty", "link", "new", "top.txt"]
    assert names(system, "new/deep", 1) == ["file.txt"]
    system.write(Entry("top.txt", "file", 99, at(2), "y"), at(2))
    assert system.stat("top.txt", at(2)).size == 99  # type: ignore[union-attr]


def test_remove_hides_a_base_subtree_and_a_later_write_does_not_bring_it_back():
    system = fs(**SMALL)
    assert system.remove("a/b", at(1))
    assert names(system, "a", 1) == ["one.txt"]
    assert system.stat("a/b/c/three.txt", at(1)) is None
    system.write(Entry("a/b/fresh.txt", "file", 1, at(2), "z"), at(2))
    assert names(system, "a/b", 2) == ["fresh.txt"]
    assert not system.remove("a/b/two.txt", at(3))
    assert not system.remove("", at(3)), "the root is never removed"


def test_mkdir_makes_parents_and_keeps_an_existing_directory():
    system = fs(**SMALL)
    system.mkdir("x/y/z", at(1))
    assert names(system, "x/y", 1) == ["z"]
    system.mkdir("a", at(2))
    assert names(system, "a", 2) == ["b", "one.txt"]


def test_rename_moves_a_whole_directory():
    system = fs(**SMALL)
    system.rename("a", "moved", at(1))
    assert system.stat("a", at(1)) is None
    assert names(system, "moved/b/c", 1) == ["three.txt"]
    assert system.stat("moved/one.txt", at(1)).size == 10  # type: ignore[union-attr]


def test_files_reflect_the_overlay_and_keep_untouched_generated_sets_lazy():
    system = fs(**GENERATED)
    assert len(system.files("data", START)) == 5000
    assert system.files("data", START).generated, "untouched: still a generated segment"
    system.remove("data/set/group-01", at(1))
    system.write(Entry("data/extra.txt", "file", 2, at(1), "e"), at(1))
    files = system.files("data", at(1))
    assert len(files) == 4001
    assert "data/extra.txt" in [e.path for e in files.explicit]


def test_directories_lists_every_directory_below():
    system = fs(**SMALL)
    assert system.directories("", START) == ["a", "a/b", "a/b/c", "empty"]
    assert system.directories("a", START) == ["a/b", "a/b/c"]


def copy_of(source: FileSystem, prefix: str, target: str) -> tuple[Transfer, Any]:
    files = source.files(prefix, START)
    transfer = Transfer(files, SLOW, START)

    def place(position: int, entry: Entry, finished: datetime) -> Write:
        return Write(Entry(target + entry.path[len(prefix) :], "file", entry.size, finished, entry.checksum))

    return transfer, place


def test_an_attached_transfer_makes_files_appear_at_their_finish_time():
    source = fs(entries=[{"path": f"src/f{i}", "size": 100} for i in range(3)])
    destination = fs()
    transfer, place = copy_of(source, "src", "dst")
    destination.attach(transfer, place)
    assert destination.stat("dst", at(0.5)) is None
    assert names(destination, "dst", 1) == ["f0"]
    assert names(destination, "dst", 2.5) == ["f0", "f1"]
    assert names(destination, "dst", 10) == ["f0", "f1", "f2"]
    assert destination.stat("dst/f1", at(10)).mtime == at(2)  # type: ignore[union-attr]


def test_failed_and_cancelled_files_never_appear():
    source = fs(entries=[{"path": f"src/f{i}", "size": 100} for i in range(4)])
    destination = fs()
    files = source.files("src", START)
    transfer = Transfer(files, SLOW, START, failures={1: "BROKEN"})
    _, place = copy_of(source, "src", "dst")
    destination.attach(transfer, place, {1: "BROKEN"})
    transfer.cancel(at(3.5))
    assert names(destination, "dst", 100) == ["f0", "f2"]


def test_files_that_fail_mid_transfer_are_never_written_nor_promised():
    source = fs(entries=[{"path": f"src/f{i}", "size": 100} for i in range(4)])
    destination = fs()
    transfer, place = copy_of(source, "src", "dst")
    destination.attach(transfer, place)
    assert destination.promised("dst/f2", at(1.5)) == {"file"}
    destination.fail(transfer, at(1.5), {2: "GONE", 3: "GONE"})
    assert transfer.failure(2) == "GONE", "the engine is told"
    assert destination.promised("dst/f2", at(1.5)) == set()
    assert not destination.promised_below("dst", at(2.5)), "f1 written, f2 and f3 never will be"
    assert names(destination, "dst", 100) == ["f0", "f1"]


def test_attached_removals_make_files_vanish():
    system = fs(entries=[{"path": f"d/f{i}", "size": 100} for i in range(2)])
    transfer = Transfer(system.files("d", START), SLOW, START)
    system.attach(transfer, lambda position, entry, finished: Remove(entry.path))
    assert names(system, "d", 1.5) == ["f1"]
    assert names(system, "d", 5) == [], "like a POSIX directory, it stays when emptied"


def test_changes_from_two_transfers_apply_in_time_order():
    system = fs()
    slow = Transfer(FileRange([Entry("s", "file", 300, START, "")], []), SLOW, START)  # finishes at 3
    fast = Transfer(FileRange([Entry("q", "file", 100, START, "")], []), SLOW, START)  # finishes at 1

    def to_same(content: str) -> Any:
        return lambda position, entry, finished: Write(Entry("same", "file", entry.size, finished, content))

    system.attach(slow, to_same("slow"))
    system.attach(fast, to_same("fast"))
    assert system.stat("same", at(10)).checksum == "slow"  # type: ignore[union-attr]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c/d", "c/e", "f/g/h"]), min_size=1, max_size=6), st.data())
def test_listing_agrees_with_stat(paths: list[str], data: st.DataObject):
    system = fs(**SMALL)
    for n, path in enumerate(paths):
        if data.draw(st.booleans()):
            system.write(Entry(path, "file", n, at(n), ""), at(n))
        else:
            system.remove(path, at(n))
    when = at(len(paths))
    for directory in ["", "a", "c", "f", "f/g"]:
        for entry in system.listdir(directory, when) or []:
            assert system.stat(entry.path, when) == entry


def test_walking_directories_does_not_materialise_generated_files():
    big = {
        **GENERATED["generate"][0],
        "count": 1_000_000,
        "directory": "group-{group:03d}",
        "name": "f{index:07d}",
    }
    system = fs(generate=[big])
    dirs = system.directories("", START)
    assert len(dirs) == 2 + 1000
    assert dirs[-1] == "data/set/group-999"


class CountingTransfer(Transfer):
    """A transfer that counts how often the file system asks how far it has got."""

    reads = 0

    def progress(self, at: datetime) -> Any:
        self.reads += 1
        return super().progress(at)


def test_many_reads_at_one_instant_look_at_each_attached_transfer_once():
    source = fs(entries=[{"path": f"src/f{i}", "size": 100} for i in range(3)])
    destination = fs()
    transfers = []
    for n in range(20):
        transfer, place = copy_of(source, "src", f"dst{n}")
        counting = CountingTransfer(transfer.files, SLOW, START)
        destination.attach(counting, place)
        transfers.append(counting)
    for i in range(1000):
        destination.stat(f"dst{i % 20}/f{i % 3}", at(1.5))
    assert [t.reads for t in transfers] == [1] * 20
    assert names(destination, "dst7", 1.5) == ["f0"]


def test_a_transfer_with_nothing_due_is_not_asked_for_its_progress():
    source = fs(entries=[{"path": "src/f0", "size": 100}])
    destination = fs()
    transfer, place = copy_of(source, "src", "dst")
    counting = CountingTransfer(transfer.files, SLOW, at(100))
    destination.attach(counting, place)
    for second in range(50):
        destination.stat("dst/f0", at(second))
    assert counting.reads == 0
    assert destination.stat("dst/f0", at(101)) is not None
    assert counting.reads == 1


def test_a_transfer_attached_after_a_read_still_applies_what_is_due():
    source = fs(entries=[{"path": "src/f0", "size": 100}])
    destination = fs()
    assert destination.stat("dst", at(5)) is None
    transfer, place = copy_of(source, "src", "dst")  # started at 0: its file finished at 1
    destination.attach(transfer, place)
    assert names(destination, "dst", 5) == ["f0"]


def test_what_attached_transfers_have_yet_to_write_is_promised_until_it_is_written():
    source = fs(entries=[{"path": f"src/f{i}", "size": 100} for i in range(3)])
    destination = fs()
    transfer, place = copy_of(source, "src", "out/dst")
    destination.attach(transfer, place, {1: "BROKEN"})
    assert destination.promised("out/dst/f2", at(0)) == {"file"}
    assert destination.promised("out/dst/f1", at(0)) == set(), "a failing file is never written"
    assert destination.promised_below("out", at(0)) and destination.promised_below("", at(0))
    assert destination.promised("out/dst/f0", at(1.5)) == set()
    assert destination.promised("out/dst/f2", at(1.5)) == {"file"}
    assert not destination.promised_below("out", at(3)) and destination.stat("out/dst/f2", at(3))


def test_a_stopped_transfer_promises_nothing_more():
    source = fs(entries=[{"path": f"src/f{i}", "size": 100} for i in range(3)])
    destination = fs()
    transfer, place = copy_of(source, "src", "dst")
    destination.attach(transfer, place)
    transfer.cancel(at(1.5))
    assert destination.promised("dst/f2", at(1)) == {"file"}
    assert destination.promised("dst/f2", at(1.5)) == set()
    assert not destination.promised_below("dst", at(1.5))
    assert names(destination, "dst", 10) == ["f0"]
