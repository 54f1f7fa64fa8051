"""`extends:` reaches only the files its caller may read: any file for the command line and code,
the bundled scenarios and the server's scenario directories for the control API."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import BaseModel, ConfigDict

from emulators.app import create_app
from emulators.core.errors import ScenarioError
from emulators.core.scenario import MAX_SCENARIO_BYTES, load_files, load_scenario
from emulators.testing.transport import InProcessTransport

SECRET = "hunter2-the-secret"


class Box(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""


SECTIONS = {"box": Box}


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """A scenario directory beside a folder of files that are not for the control API to read."""
    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "base.yaml").write_text("version: 1\nseed: 3\n", encoding="utf-8")
    (folder / "child.yaml").write_text("version: 1\nextends: base\nname: child\n", encoding="utf-8")
    private = tmp_path / "private"
    private.mkdir()
    (private / "secret.yaml").write_text(f"version: 1\nseed: 9\n{SECRET}: 1\n", encoding="utf-8")
    return folder


def problems_of(text: str, library: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario([("<request>", text)], SECTIONS, library=[library])
    return [str(p) for p in caught.value.problems]


def test_a_text_extends_scenarios_in_its_library_by_name_and_they_extend_their_neighbours(
    library: Path,
) -> None:
    model = load_scenario([("<request>", "version: 1\nextends: child\n")], SECTIONS, library=[library]).model
    assert (model.name, model.seed) == ("child", 3)


@pytest.mark.parametrize(
    "name",
    ["{private}/secret.yaml", "{private}/secret", "../private/secret.yaml", "library/../../private/secret"],
)
def test_a_text_cannot_extend_a_file_outside_its_library(library: Path, name: str) -> None:
    name = name.format(private=library.parent / "private")
    [problem] = problems_of(f"version: 1\nextends: {name}\n", library)
    assert problem.startswith(f"<request>:2: extends: cannot find scenario {name!r} (loaded through the")
    assert SECRET not in problem


def test_a_symbolic_link_out_of_the_library_is_not_followed(library: Path) -> None:
    (library / "linked.yaml").symlink_to(library.parent / "private" / "secret.yaml")
    [problem] = problems_of("version: 1\nextends: linked\n", library)
    assert "cannot find scenario 'linked'" in problem


def test_a_file_in_the_library_cannot_lead_out_of_it(library: Path) -> None:
    (library / "leak.yaml").write_text("version: 1\nextends: ../private/secret.yaml\n", encoding="utf-8")
    [problem] = problems_of("version: 1\nextends: leak\n", library)
    assert problem.startswith(f"{library / 'leak.yaml'}:2: extends: cannot find scenario")


def test_files_named_on_the_command_line_extend_any_file_relative_to_them(library: Path) -> None:
    mine = library.parent / "private" / "mine.yaml"
    mine.write_text("version: 1\nextends: ../library/child.yaml\n", encoding="utf-8")
    assert load_files([mine], SECTIONS).model.seed == 3


@pytest.mark.parametrize(
    "content",
    [
        f"password: {SECRET}\n",
        f"- {SECRET}\n",
        f"root:x:0:0:{SECRET}\n  bad: [indent\n",
        f"{SECRET}: [1, 2\n",
    ],
    ids=["mapping", "list", "broken", "unclosed"],
)
def test_extending_a_file_that_is_not_a_scenario_never_shows_what_it_holds(
    tmp_path: Path, content: str
) -> None:
    (tmp_path / "shadow").write_text(content, encoding="utf-8")
    mine = tmp_path / "mine.yaml"
    mine.write_text("version: 1\nextends: shadow\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_files([mine], SECTIONS)
    [problem] = caught.value.problems
    assert problem.file == str(tmp_path / "shadow")
    assert SECRET not in str(caught.value)


def test_an_extended_file_larger_than_a_scenario_may_be_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "huge.yaml").write_bytes(b"version: 1\n" + b"#" * MAX_SCENARIO_BYTES)
    mine = tmp_path / "mine.yaml"
    mine.write_text("version: 1\nextends: huge\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_files([mine], SECTIONS)
    assert [str(p) for p in caught.value.problems] == [
        f"{mine}:2: extends: cannot read 'huge': larger than 4 MiB"
    ]


def test_the_control_api_loads_only_bundled_scenarios_and_the_servers_directories(library: Path) -> None:
    app = create_app(clock="manual", scenario_dirs=[library])
    with httpx.Client(transport=InProcessTransport(app), base_url="http://127.0.0.1") as client:

        def load(text: str) -> httpx.Response:
            headers = {"Content-Type": "application/yaml"}
            return client.post("/_emulator/scenario", content=text.encode(), headers=headers)

        assert load("version: 1\nextends: [default, child]\n").json()["loaded"] == "child"
        secret = library.parent / "private" / "secret.yaml"
        for name in (secret, "../private/secret", "/etc/passwd"):
            refused = load(f"version: 1\nextends: {name}\n")
            assert refused.status_code == 400
            [problem] = refused.json()["error"]["problems"]
            assert problem["message"].startswith(f"cannot find scenario '{name}'")
            assert SECRET not in refused.text
