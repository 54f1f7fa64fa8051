"""RelativityOne fileshare destinations and Relativity's file and folder naming rules."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulators.relativity.fileshare import (
    STAGING_FOLDERS,
    DestinationError,
    FilesharePath,
    naming_violation,
    parse_destination,
)

ROOT = r"\\files.t001.ctus000001.r1.kcura.com\T001"


@pytest.mark.parametrize(
    ("path", "root", "host", "share", "staging", "relative"),
    [
        (ROOT + r"\ARM", ROOT, "files.t001.ctus000001.r1.kcura.com", "T001", "ARM", ""),
        (ROOT + "\\ARM\\", ROOT, "files.t001.ctus000001.r1.kcura.com", "T001", "ARM", ""),
        (
            r"\\files2.t035.ctus010000.relativity.one\T035\ProcessingSource\Matter 7",
            r"\\files2.t035.ctus010000.relativity.one\T035",
            "files2.t035.ctus010000.relativity.one",
            "T035",
            "ProcessingSource",
            "Matter 7",
        ),
        (
            r"\\files.t025.r1.kcura.com\T025\TenantVM",
            r"\\files.t025.r1.kcura.com\T025",
            "files.t025.r1.kcura.com",
            "T025",
            "TenantVM",
            "",
        ),
        (
            ROOT + r"\StructuredData\Custodian 1\Batch-01",
            ROOT,
            "files.t001.ctus000001.r1.kcura.com",
            "T001",
            "StructuredData",
            r"Custodian 1\Batch-01",
        ),
        (
            ROOT + r"\structureddata\TransferSDK-Sample",
            ROOT,
            "files.t001.ctus000001.r1.kcura.com",
            "T001",
            "StructuredData",
            "TransferSDK-Sample",
        ),
        (
            r"\\FILES.T001.CTUS000001.R1.KCURA.COM\t001abc\arm\x",
            r"\\FILES.T001.CTUS000001.R1.KCURA.COM\t001abc",
            "files.t001.ctus000001.r1.kcura.com",
            "T001ABC",
            "ARM",
            "x",
        ),
    ],
)
def test_valid_destinations_parse(
    path: str, root: str, host: str, share: str, staging: str, relative: str
) -> None:
    parsed = parse_destination(path)
    assert parsed == FilesharePath(
        root=root, host=host, share=share, staging_folder=staging, relative=relative
    )


@pytest.mark.parametrize("folder", STAGING_FOLDERS)
def test_every_staging_folder_is_writable_in_any_case(folder: str) -> None:
    assert parse_destination(f"{ROOT}\\{folder.upper()}").staging_folder == folder
    assert parse_destination(f"{ROOT}\\{folder.lower()}").staging_folder == folder


@pytest.mark.parametrize(
    ("path", "full"),
    [
        (ROOT + r"\ARM", ROOT + r"\ARM"),
        (ROOT + "\\arm\\", ROOT + r"\ARM"),
        (ROOT + r"\structureddata\Custodian 1\Batch-01", ROOT + r"\StructuredData\Custodian 1\Batch-01"),
    ],
)
def test_full_is_normalised(path: str, full: str) -> None:
    assert parse_destination(path).full == full


@pytest.mark.parametrize(
    ("relative", "joined"),
    [
        ("a.txt", ROOT + r"\StructuredData\Job\a.txt"),
        ("Mail (2019)/msg #1.msg", ROOT + r"\StructuredData\Job\Mail (2019)\msg #1.msg"),
        ("/x/y/", ROOT + r"\StructuredData\Job\x\y"),
        ("", ROOT + r"\StructuredData\Job"),
    ],
)
def test_join_converts_forward_slashes(relative: str, joined: str) -> None:
    assert parse_destination(ROOT + r"\StructuredData\Job").join(relative) == joined


def test_join_without_relative_part() -> None:
    assert parse_destination(ROOT + r"\ARM").join("d/e.pdf") == ROOT + r"\ARM\d\e.pdf"


def test_fileshare_path_is_frozen() -> None:
    parsed = parse_destination(ROOT + r"\ARM")
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.relative = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/mnt/share", "UNC path"),
        (r"C:\data", "UNC path"),
        ("", "UNC path"),
        (r"\\fileserver\share\ARM", "RelativityOne fileshare root"),
        (r"\\files.t001.com\T001\ARM", "RelativityOne fileshare root"),
        (r"\\files.t001.ctus000001.r1.kcura.com\Files\ARM", "RelativityOne fileshare root"),
        (r"\\files.t001.ctus000001.r1.kcura.com", "RelativityOne fileshare root"),
        (ROOT + r"\Files\EDDS1027541", "under a writable staging folder"),
        (ROOT + r"\Temp", "under a writable staging folder"),
        (ROOT + r"\FTA\x", "under a writable staging folder"),
        (ROOT, "name a writable staging folder"),
        (ROOT + "\\", "name a writable staging folder"),
        (ROOT + r"\ARM\a|b", "forbidden character '|'"),
        (ROOT + r"\StructuredData\CON", "reserved name"),
        (ROOT + r"\ARM\x\\y", "empty component"),
        (ROOT + r"\ARM\folder.", "ends with '.'"),
        (ROOT.replace("\\", "/") + "/ARM", "forward slashes"),
        (ROOT + r"\ARM/sub", "forward slashes"),
    ],
)
def test_invalid_destinations_are_rejected(path: str, fragment: str) -> None:
    with pytest.raises(DestinationError) as excinfo:
        parse_destination(path)
    message = str(excinfo.value)
    assert fragment in message
    assert message.startswith("destinationPath") and message.endswith(".")


def test_non_writable_message_lists_staging_folders() -> None:
    with pytest.raises(DestinationError) as excinfo:
        parse_destination(ROOT + r"\Files\EDDS1027541")
    assert str(excinfo.value) == (
        "destinationPath must be under a writable staging folder "
        "(ARM, StructuredData, ProcessingSource, TenantVM)."
    )


def test_destination_error_is_a_value_error() -> None:
    assert issubclass(DestinationError, ValueError)


def test_destination_longer_than_path_limit_is_rejected() -> None:
    too_long = "\\".join(["a" * 200] * 6)
    with pytest.raises(DestinationError, match="longer than 1024 bytes"):
        parse_destination(ROOT + "\\ARM\\" + too_long)


@pytest.mark.parametrize(
    "path",
    [
        "Custodian 1/Mail (2019)/msg #1.msg",
        "résumé.docx",
        "データ.txt",
        "a",
        "Batch-01/IMG_0001.tif",
        "emoji 📄.pdf",
        "...hidden name",
        ".gitignore",
        "CONSOLE.txt",
        "COM10",
        "LPT0",
        "a b/c d",
        "fuse_hidden.txt",
        "x.fuse_hidden1",
        "name.with.dots.txt",
        "ü" * 127 + "a",
        "/".join(["a" * 200] * 5) + "/" + "b" * 19,
    ],
)
def test_ordinary_names_pass(path: str) -> None:
    assert naming_violation(path) is None


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("", "path is empty"),
        ("a//b", "empty component"),
        ("/a", "empty component"),
        ("a/", "empty component"),
        ("a|b", "component 'a|b' contains a forbidden character '|'"),
        ('say "hi"', "forbidden character '\"'"),
        ("a\\b", "forbidden character"),
        ("c:d", "forbidden character ':'"),
        ("a<b", "forbidden character '<'"),
        ("a>b", "forbidden character '>'"),
        ("a*b", "forbidden character '*'"),
        ("why?", "forbidden character '?'"),
        ("tab\there", "control character U+0009"),
        ("x\x01", "control character U+0001"),
        ("x\x1f", "control character U+001F"),
        ("x\x7f", "control character U+007F"),
        ("x\x9f", "control character U+009F"),
        ("line\nbreak", "control character U+000A"),
        ("nul\x00", "control character U+0000"),
        ("pua\ue000", "private-use character U+E000"),
        ("pua\uf8ff", "private-use character U+F8FF"),
        ("pua\U000f0000", "private-use character U+F0000"),
        ("pua\U0010fffd", "private-use character U+10FFFD"),
        ("evil\u202etxt.exe", "bidirectional control character U+202E"),
        ("lrm\u200e", "bidirectional control character U+200E"),
        ("rlm\u200f", "bidirectional control character U+200F"),
        ("lre\u202a", "bidirectional control character U+202A"),
        ("surrogate\ud800", "unpaired surrogate"),
        ("report.", "ends with '.'"),
        ("dir./file", "ends with '.'"),
        (".fuse_hidden123", "starts with '.fuse_hidden'"),
        ("dir/.fuse_hidden0000000a00000001", "starts with '.fuse_hidden'"),
        (".", "reserved name"),
        ("..", "reserved name"),
        ("a/../b", "reserved name"),
        (" ", "reserved name"),
        ("con", "reserved name"),
        ("CON", "reserved name"),
        ("CON.txt", "reserved name"),
        ("COM1.txt", "reserved name"),
        ("com9", "reserved name"),
        ("LPT1", "reserved name"),
        ("lpt9.log", "reserved name"),
        ("PRN", "reserved name"),
        ("aux", "reserved name"),
        ("Nul.tar.gz", "reserved name"),
        ("CLOCK$", "reserved name"),
        ("clock$.txt", "reserved name"),
        ("dir/ü" + "ü" * 127, "longer than 255 bytes"),
        ("a" * 256, "longer than 255 bytes"),
        ("/".join(["a" * 200] * 5) + "/" + "b" * 20, "path is longer than 1024 bytes"),
    ],
)
def test_naming_rule_violations(path: str, fragment: str) -> None:
    reason = naming_violation(path)
    assert reason is not None
    assert fragment in reason


@pytest.mark.parametrize(
    ("char", "count", "ok"),
    [
        ("ü", 127, True),  # 254 bytes
        ("データ"[0], 85, True),  # 255 bytes of three-byte characters
        ("データ"[0], 86, False),  # 258 bytes
        ("📄", 63, True),  # 252 bytes of four-byte characters
        ("📄", 64, False),  # 256 bytes
    ],
)
def test_component_limit_counts_utf8_bytes(char: str, count: int, ok: bool) -> None:
    assert (naming_violation(char * count) is None) is ok


@pytest.mark.parametrize(("extra", "ok"), [("a", True), ("aa", False)])
def test_component_limit_boundary_with_multibyte_characters(extra: str, ok: bool) -> None:
    name = "é" * 127 + extra  # 255 or 256 bytes, but only 128 or 129 characters
    assert len(name.encode()) == 254 + len(extra)
    assert (naming_violation(name) is None) is ok


@pytest.mark.parametrize(("tail", "ok"), [(19, True), (20, False)])
def test_path_limit_boundary(tail: int, ok: bool) -> None:
    path = "/".join(["é" * 100] * 5) + "/" + "b" * tail  # 1004 + 1 + tail bytes
    assert len(path.encode()) == 1005 + tail
    assert (naming_violation(path) is None) is ok


_path_text = st.lists(
    st.one_of(
        st.sampled_from(list('/\\.: |"<>*?$\t\u202e\ue000')),
        st.sampled_from(["CON", "com1", "CLOCK$", ".fuse_hidden", "..", "データ", "a" * 300, "\ud800"]),
        st.characters(exclude_categories=()),
    )
).map("".join)


@settings(derandomize=True, database=None, max_examples=300)
@given(_path_text)
def test_naming_violation_never_raises(path: str) -> None:
    reason = naming_violation(path)
    assert reason is None or isinstance(reason, str)
    if reason is None:
        assert path and len(path.encode("utf-8")) <= 1024
        assert not any(ch in path for ch in '\\:|<>*?"\t\u202e\ue000')
        assert all(part and not part.endswith(".") for part in path.split("/"))
