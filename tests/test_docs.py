"""The examples in README.md and docs/*.md run, so they cannot rot.

Every fenced block is run, or the line above it says why not: `<!-- not run: REASON -->`. The blocks
of one file run in order against one live server, the default scenario on a real clock sped up
`SPEED` times (as `make serve` runs it, only faster), with the documented address
`127.0.0.1:8700` (or `localhost:8700`) swapped for the server's:

- `python`: run in one namespace per file, so a block may use what an earlier one defined; a block
  that defines `test_` functions is a test module instead, run by pytest in a subprocess.
- `sh`: bash with `set -euo pipefail`, the project's venv first on PATH (for `globus`).
- `yaml`: a scenario (a fragment is layered over `default`, as the text around it says) that must
  load.

After each block, no request it made may have been answered with a 5xx, nor with a client error
other than 404 (a report that is not ready yet): an example that sends a wrong request has rotted.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from emulators.testing.plugin import LiveEmulator

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SPEED = 20
FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
NOT_RUN = re.compile(r"^<!-- not run: (.+?) -->$")
DOCUMENTED_ADDRESS = re.compile(r"(?:http://)?(?:127\.0\.0\.1|localhost):8700")
ALLOWED_CLIENT_ERRORS = {404}
RUNNERS = ("python", "sh", "yaml")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown file."""

    document: Path
    line: int
    language: str
    text: str
    not_run: str | None

    @property
    def where(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"


def blocks(document: Path) -> list[Block]:
    """The fenced blocks of `document`, each with the reason it is not run, if the line above gives one."""
    found: list[Block] = []
    lines = document.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, end = opening.group(1), index + 1
        while not lines[end].strip().startswith("```"):
            end += 1
        reason = NOT_RUN.match(lines[index - 1].strip()) if index else None
        text = "\n".join(line.removeprefix(indent) for line in lines[index + 1 : end]) + "\n"
        found.append(Block(document, index + 1, opening.group(2), text, reason.group(1) if reason else None))
        index = end + 1
    return found


WITH_EXAMPLES = [d for d in DOCUMENTS if any(b.not_run is None for b in blocks(d))]
SCENARIO_TEXT = f"version: 1\nextends: default\nclock: {{mode: real, speed: {SPEED}}}\n"


class Runner:
    """Runs one document's blocks in order against a live server."""

    def __init__(self, server: LiveEmulator, work: Path) -> None:
        self.server = server
        self.work = work
        self.namespace: dict[str, object] = {"__name__": "__doc_example__"}

    def localised(self, text: str) -> str:
        return DOCUMENTED_ADDRESS.sub(self.server.url, text)

    def run(self, block: Block) -> None:
        self.server.control.clear_requests()
        getattr(self, f"run_{block.language}")(block)
        wrong = [
            f"{e['method']} {e['path']} -> {e['status']}"
            for e in self.server.control.requests()
            if e["direction"] == "inbound"
            and e["status"] is not None
            and e["status"] >= 400
            and e["status"] not in ALLOWED_CLIENT_ERRORS
        ]
        assert not wrong, f"{block.where}: the example's requests were refused: {wrong}"

    def run_python(self, block: Block) -> None:
        code = self.localised(block.text)
        if re.search(r"^def test_", code, re.MULTILINE):
            module = self.work / f"test_example_{block.line}.py"
            module.write_text(code, encoding="utf-8")
            result = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", module.name],
                cwd=self.work,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert result.returncode == 0, (
                f"{block.where}: the example tests fail:\n{result.stdout}{result.stderr}"
            )
            return
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, block.where, "exec"), self.namespace)  # the example is the test

    def run_sh(self, block: Block) -> None:
        missing = [tool for tool in ("curl", "jq") if shutil.which(tool) is None]
        if missing:
            pytest.skip(f"{block.where} needs {' and '.join(missing)}, which this machine lacks")
        env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
        result = subprocess.run(
            ["bash", "-c", "set -euo pipefail\n" + self.localised(block.text)],
            cwd=self.work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, f"{block.where}: the example fails:\n{result.stdout}{result.stderr}"

    def run_yaml(self, block: Block) -> None:
        whole = re.search(r"^version:", block.text, re.MULTILINE) is not None
        text = block.text if whole else "version: 1\nextends: default\n" + block.text
        scenario = self.work / f"scenario_{block.line}.yaml"
        scenario.write_text(text, encoding="utf-8")
        result = subprocess.run(
            [sys.executable, "-m", "emulators.cli", "validate", str(scenario)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, f"{block.where}: the scenario is invalid:\n{result.stderr}"


def test_every_block_is_run_or_says_why_not() -> None:
    unexplained = [
        f"{b.where} ({b.language or 'no language'})"
        for document in DOCUMENTS
        for b in blocks(document)
        if b.not_run is None and b.language not in RUNNERS
    ]
    assert not unexplained, f"blocks no runner takes and no `<!-- not run: ... -->` explains: {unexplained}"


def test_the_documented_sas_url_is_the_one_serve_prints(emulator) -> None:  # type: ignore[no-untyped-def]
    from emulators.relativity.app import describe

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = re.search(r"^SAS='([^']+)'$", readme, re.MULTILINE)
    assert documented is not None
    printed = describe(emulator.world.store_named("relativity"), "http://127.0.0.1:8700")
    assert f"source SAS URL: {documented.group(1)}" in printed


# Examples are scripts: like a user's, they leave clients for the interpreter to close.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning", "ignore::ResourceWarning")
@pytest.mark.emulator(scenario_text=SCENARIO_TEXT, clock="real")
@pytest.mark.parametrize("document", WITH_EXAMPLES, ids=lambda d: d.name)
def test_the_examples_run(document: Path, emulator_server: LiveEmulator, tmp_path: Path) -> None:
    runner = Runner(emulator_server, tmp_path)
    for block in blocks(document):
        if block.not_run is None:
            runner.run(block)
    runner.namespace.clear()
    gc.collect()
