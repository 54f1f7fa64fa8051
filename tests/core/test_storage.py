"""Virtual storage: explicit entries, lazily generated sets, prefixes, sizes and cumulative offsets."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from emulators.core.storage import EntrySpec, FileRange, GeneratedFiles, GeneratedSpec, Tree, TreeSpec

MTIME = datetime(2030, 1, 1, tzinfo=UTC)


def tree(seed: int = 0, **spec: Any) -> Tree:
    return Tree(TreeSpec.model_validate(spec), seed, MTIME)


def generated(seed: int = 0, **spec: Any) -> GeneratedFiles:
    return GeneratedFiles(GeneratedSpec.model_validate(spec), seed)


def paths(files: FileRange) -> list[str]:
    return [e.path for e in files]


# -- explicit entries ----------------------------------------------------------------------------


def test_explicit_entries_are_listed_sorted_without_directories() -> None:
    t = tree(
        entries=[
            {"path": "b/two.txt", "size": 2},
            {"path": "/a/one.txt/", "size": 1},
            {"path": "a", "type": "dir"},
            {"path": "a-link", "type": "symlink", "target": "a/one.txt"},
        ]
    )
    assert paths(t.files()) == ["a-link", "a/one.txt", "b/two.txt"]
    assert [e.kind for e in t.files()] == ["symlink", "file", "file"]
    assert t.files()[2].name == "two.txt"


def test_explicit_entry_defaults_mtime_and_checksum() -> None:
    when = datetime(2020, 5, 5, tzinfo=UTC)
    t = tree(entries=[{"path": "x", "size": 3}, {"path": "y", "size": 3, "mtime": when, "checksum": "abc"}])
    x, y = t.files()
    assert x.mtime == MTIME
    assert len(x.checksum) == 32
    assert (y.mtime, y.checksum) == (when, "abc")
    assert tree(entries=[{"path": "x", "size": 3}]).files()[0].checksum == x.checksum


def test_explicit_prefix_selects_only_paths_under_it() -> None:
    t = tree(entries=[{"path": p} for p in ["a-b", "a.c", "a/x", "a/y/z", "ab/q", "a"]])
    assert paths(t.files("a/")) == ["a/x", "a/y/z"]
    assert paths(t.files("a/y/")) == ["a/y/z"]
    assert paths(t.files("zz/")) == []


def test_symlink_needs_a_target_and_only_a_symlink_has_one() -> None:
    assert EntrySpec(path="l", type="symlink", target="x").target == "x"
    with pytest.raises(ValidationError, match="symlink needs a target"):
        EntrySpec(path="l", type="symlink")
    with pytest.raises(ValidationError, match="symlink needs a target"):
        EntrySpec(path="f", type="file", target="x")


def test_entry_spec_refuses_empty_paths_negative_sizes_and_unknown_keys() -> None:
    with pytest.raises(ValidationError):
        EntrySpec(path="")
    with pytest.raises(ValidationError):
        EntrySpec(path="f", size=-1)
    with pytest.raises(ValidationError):
        EntrySpec.model_validate({"path": "f", "colour": "red"})


# -- generated sets ------------------------------------------------------------------------------


def test_a_million_generated_files_cost_nothing_until_read() -> None:
    tracemalloc.start()
    try:
        t = tree(generate=[{"count": 1_000_000, "prefix": "data", "per_directory": 1000}])
        files = t.files("")
        last = files[999_999]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(files) == 1_000_000
    assert last.path == "data/dir00999/file00999999.bin"
    assert files._cumulative is None
    assert peak < 1_000_000


def test_a_prefix_cutting_a_generated_set_is_found_by_binary_search() -> None:
    t = tree(generate=[{"count": 1_000_000, "prefix": "data", "per_directory": 1000}])
    group = t.files("data/dir00123/")
    assert len(group) == 1000
    assert group[0].path == "data/dir00123/file00123000.bin"
    assert group[-1].path == "data/dir00123/file00123999.bin"
    assert len(t.files("data/")) == 1_000_000
    assert len(t.files("data/dir01000/")) == 0
    assert len(t.files("other/")) == 0


def test_generated_names_sort_in_index_order() -> None:
    g = generated(count=300, prefix="p", per_directory=7, extensions=[".z", ".a", ".m"])
    names = [g.path(i) for i in range(300)]
    assert names == sorted(names)
    assert {n.rsplit(".", 1)[1] for n in names} == {"z", "a", "m"}


def test_generated_set_prefix_is_normalised() -> None:
    g = generated(count=1, prefix="/deep/er/")
    assert g.path(0) == "deep/er/file00000000.bin"
    assert generated(count=1).path(0) == "file00000000.bin"


def test_generated_set_under_a_longer_prefix_is_whole_or_absent() -> None:
    g = generated(count=10, prefix="a/b")
    assert g.index_range("") == (0, 10)
    assert g.index_range("a/") == (0, 10)
    assert g.index_range("a/b/") == (0, 10)
    assert g.index_range("a/c/") == (0, 0)
    assert g.index_range("ab/") == (0, 0)


explicit_paths = st.lists(
    st.lists(st.sampled_from(["a", "b", "a-", "data"]), min_size=1, max_size=3).map("/".join),
    max_size=6,
    unique=True,
)


@settings(derandomize=True, database=None, max_examples=60)
@given(
    explicit=explicit_paths,
    count=st.integers(0, 40),
    per_directory=st.none() | st.integers(1, 9),
    prefix=st.sampled_from(["", "data", "a/b"]),
)
def test_files_under_any_prefix_match_a_brute_force_filter(
    explicit: list[str], count: int, per_directory: int | None, prefix: str
) -> None:
    spec = {"count": count, "prefix": prefix, "per_directory": per_directory, "extensions": [".x", ".y"]}
    t = tree(entries=[{"path": p} for p in explicit], generate=[spec])
    g = t.generated[0]
    every = sorted(explicit) + [g.path(i) for i in range(count)]
    prefixes = {""} | {p.rsplit("/", 1)[0] + "/" for p in every if "/" in p} | {"a/", "zz/", "data/dir9/"}
    for p in prefixes:
        expected = sorted(x for x in explicit if x.startswith(p)) + [
            g.path(i) for i in range(count) if g.path(i).startswith(p)
        ]
        assert paths(t.files(p)) == expected, p


@settings(derandomize=True, database=None, max_examples=40)
@given(explicit=explicit_paths, counts=st.lists(st.integers(0, 12), max_size=3), start=st.integers(0, 60))
def test_reading_from_an_index_is_the_tail_of_the_whole(
    explicit: list[str], counts: list[int], start: int
) -> None:
    specs = [{"count": n, "prefix": f"g{i}", "per_directory": None} for i, n in enumerate(counts)]
    files = tree(entries=[{"path": p} for p in explicit], generate=specs).files()
    whole = list(files.paths_and_sizes())
    assert list(files.paths_and_sizes(start=start)) == whole[start:]


def test_sizes_are_fixed_by_the_seed() -> None:
    sizes = list(generated(seed=1, count=50).sizes(0, 50))
    assert sizes == list(generated(seed=1, count=50).sizes(0, 50))
    assert sizes != list(generated(seed=2, count=50).sizes(0, 50))
    own_seed = GeneratedFiles(GeneratedSpec(count=50, seed=1), 2)
    assert list(own_seed.sizes(0, 50)) == sizes


def test_size_of_one_file_agrees_with_sizes_across_blocks() -> None:
    g = generated(count=10_000, size={"distribution": "uniform", "min": 1, "max": 10**6})
    sizes = list(g.sizes(4000, 8300))
    assert len(sizes) == 4300
    assert sizes == [g.size(i) for i in range(4000, 8300)]
    assert list(g.sizes(5, 5)) == []


def test_size_agrees_with_cumulative_offsets() -> None:
    t = tree(
        entries=[{"path": "a", "size": 7}, {"path": "b", "size": 0}],
        generate=[{"count": 5000, "prefix": "g"}],
    )
    files = t.files()
    c = files.cumulative()
    assert len(c) == len(files) + 1
    assert c[0] == 0
    for i in [0, 1, 2, 4095, 4096, 4097, 5001]:
        assert c[i + 1] - c[i] == files[i].size
    assert files.total_bytes == c[-1] == sum(size for _, size in files.paths_and_sizes())


@pytest.mark.parametrize(
    "size",
    [
        {"distribution": "fixed", "value": 777},
        {"distribution": "uniform", "min": 100, "max": 200},
        {"distribution": "lognormal", "median": 1000, "sigma": 3, "min": 500, "max": 5000},
    ],
)
def test_size_distributions_respect_their_bounds(size: dict[str, Any]) -> None:
    sizes = list(generated(count=3000, size=size).sizes(0, 3000))
    if size["distribution"] == "fixed":
        assert set(sizes) == {777}
    else:
        assert min(sizes) >= size["min"]
        assert max(sizes) <= size["max"]
        assert len(set(sizes)) > 10


def test_lognormal_sizes_centre_on_the_median() -> None:
    sizes = sorted(generated(count=4001, size={"median": 65536, "sigma": 1}).sizes(0, 4001))
    assert 60_000 < sizes[2000] < 71_000


def test_generated_entries_are_repeatable_and_within_the_mtime_spread() -> None:
    spec = {
        "count": 20,
        "mtime_start": "2022-01-01T00:00:00Z",
        "mtime_spread_days": 10,
        "attrs": {"t": "Hot"},
    }
    a, b = generated(**spec), generated(**spec)
    start = datetime(2022, 1, 1, tzinfo=UTC)
    for i in range(20):
        entry = a.entry(i)
        assert entry == b.entry(i)
        assert start <= entry.mtime <= start + timedelta(days=10)
        assert entry.attrs == {"t": "Hot"}
    assert len({a.entry(i).checksum for i in range(20)}) == 20


# -- ranges --------------------------------------------------------------------------------------


def test_file_range_indexing_iteration_and_segments_agree() -> None:
    t = tree(
        entries=[{"path": "e1", "size": 1}, {"path": "e2", "size": 2}],
        generate=[{"count": 3, "prefix": "g"}, {"count": 0, "prefix": "h"}, {"count": 4, "prefix": "k"}],
    )
    files = t.files()
    assert len(files) == 9
    assert [files[i].path for i in range(9)] == paths(files)
    assert files[-1].path == files[8].path == "k/file00000003.bin"
    with pytest.raises(IndexError):
        files[9]
    with pytest.raises(IndexError):
        files[-10]
    segments = [(start, g.prefix if g else None, lo, hi) for start, g, lo, hi in files.segments()]
    assert segments == [(0, None, 0, 2), (2, "g/", 0, 3), (5, "k/", 0, 4)]
    assert [p for p, _ in files.paths_and_sizes()] == paths(files)


def test_empty_directories_are_explicit_directories_that_hold_nothing() -> None:
    t = tree(
        entries=[
            {"path": "empty", "type": "dir"},
            {"path": "full", "type": "dir"},
            {"path": "full/f"},
            {"path": "parent", "type": "dir"},
            {"path": "parent/sub/f"},
            {"path": "gen", "type": "dir"},
            {"path": "data/dir00001", "type": "dir"},
            {"path": "data/dir00009", "type": "dir"},
            {"path": "x/empty", "type": "dir"},
        ],
        generate=[{"count": 10, "prefix": "gen/deep"}, {"count": 10, "prefix": "data", "per_directory": 5}],
    )
    assert t.empty_directories() == ["data/dir00009", "empty", "x/empty"]
    assert t.empty_directories("x/") == ["x/empty"]


@pytest.mark.parametrize(
    "spec",
    [
        {"count": 200, "name": "f{index}{ext}"},
        {"count": 2_000_000, "per_directory": 10, "directory": "d{group:05d}"},
    ],
)
def test_generated_names_that_would_not_sort_in_index_order_are_refused(spec: dict):
    with pytest.raises(ValueError, match="pad the numbers"):
        GeneratedSpec(**spec)


@pytest.mark.parametrize(
    "spec",
    [
        {"name": "f{idx}"},
        {"name": "f{index.nan:05d}"},
        {"name": "f{index[0]}"},
        {"name": "f{index!r}"},
        {"name": "f{index:{ext}}"},
        {"name": "f{index:999999999d}"},
        {"name": "f{index:08d"},
        {"per_directory": 2, "directory": "d{index:05d}"},
        {"per_directory": 2, "directory": "d{group:0300d}"},
    ],
)
def test_a_name_pattern_with_another_field_a_lookup_or_a_huge_width_is_refused(spec: dict):
    with pytest.raises(ValueError, match="cannot be formatted"):
        GeneratedSpec(count=3, **spec)


def test_a_name_pattern_within_the_limits_is_taken():
    assert GeneratedSpec(count=3, name="f{index:0255d}{ext}").name == "f{index:0255d}{ext}"


def test_a_directory_holding_only_an_empty_directory_is_not_empty() -> None:
    t = tree(entries=[{"path": "outer", "type": "dir"}, {"path": "outer/inner", "type": "dir"}])
    assert t.empty_directories() == ["outer/inner"]


@given(
    count=st.integers(1, 3000),
    per_directory=st.none() | st.integers(1, 500),
    extensions=st.lists(st.sampled_from([".a", ".b", ".csv"]), min_size=1, max_size=3),
    lo=st.integers(0, 3000),
    span=st.integers(0, 700),
)
def test_paths_in_a_run_are_the_paths_one_by_one(
    count: int, per_directory: int | None, extensions: list[str], lo: int, span: int
) -> None:
    spec = GeneratedSpec(count=count, per_directory=per_directory, extensions=extensions, prefix="p/q")
    files = GeneratedFiles(spec, 11)
    lo = min(lo, count)
    hi = min(count, lo + span)
    assert list(files.paths(lo, hi)) == [files.path(i) for i in range(lo, hi)]


def test_a_range_lists_its_paths_from_any_index() -> None:
    spec = TreeSpec.model_validate(
        {
            "entries": [{"path": "a/x", "size": 1}, {"path": "a/y", "size": 2}],
            "generate": [{"count": 5, "prefix": "b"}],
        }
    )
    files = Tree(spec, 3, datetime(2030, 1, 1, tzinfo=UTC)).files()
    every = [path for path, _ in files.paths_and_sizes()]
    assert [list(files.paths(start)) for start in range(8)] == [every[start:] for start in range(8)]
