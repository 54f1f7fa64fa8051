"""Packaging: loose dependency ranges, the lock and lowest-version files that match them, the
built wheel installed into a fresh venv beside pins that exact `==` requirements used to refuse, and
`make setup` saying what it does without a page of setuptools warnings.

The tests that install need the package registries, so they run only with
EMULATORS_PACKAGING_TESTS=1 (`make test-min` sets it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from emulators import __version__

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# Pins common in projects that would use the plugin; each refused the old exact pins.
NEIGHBOUR_PINS = ["httpx<0.28", "pydantic<2.14", "starlette<1"]


def _readme_plugin_example() -> str:
    """The README's pytest example (the block that defines `test_job_completes`)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    [block] = [
        b
        for b in re.findall(r"^```python\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)
        if "def test_job_completes" in b
    ]
    return block


def _requirements(*extras: str) -> list[Requirement]:
    """The runtime dependencies and those of `extras`, without an extra's reference to another."""
    listed = PYPROJECT["project"]["dependencies"] + [
        r for extra in extras for r in PYPROJECT["project"]["optional-dependencies"][extra]
    ]
    return [r for r in map(Requirement, listed) if canonicalize_name(r.name) != "transfer-emulators"]


def _pins(name: str) -> dict[str, Version]:
    """A constraints file's `name==version` lines, by canonical name."""
    pins = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            requirement = Requirement(line)
            [spec] = requirement.specifier
            assert spec.operator == "==", f"{name}: {line!r} is not an exact pin"
            pins[canonicalize_name(requirement.name)] = Version(spec.version)
    return pins


def _lower_bound(requirement: Requirement) -> Version:
    [lower] = [s.version for s in requirement.specifier if s.operator == ">="]
    return Version(lower)


def test_runtime_dependencies_are_ranges_not_exact_pins():
    for requirement in _requirements("pytest"):
        operators = {s.operator for s in requirement.specifier}
        assert ">=" in operators, f"{requirement}: state the lowest supported version"
        assert not operators & {"==", "==="}, f"{requirement}: an exact pin refuses every other version"


def test_the_lowest_versions_file_pins_each_lower_bound():
    lowest = {canonicalize_name(r.name): _lower_bound(r) for r in _requirements("pytest")}
    assert _pins("constraints-min.txt") == lowest


def test_the_plugin_has_an_extra_that_brings_pytest():
    assert PYPROJECT["project"]["entry-points"]["pytest11"] == {
        "transfer_emulators": "emulators.testing.plugin"
    }
    assert [canonicalize_name(r.name) for r in _requirements("pytest")][-1] == "pytest"


def test_the_license_file_is_the_declared_license():
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_the_description_names_only_the_services_built():
    from emulators.app import SERVICES

    described = PYPROJECT["project"]["description"].lower()
    planned_or_built = {"relativity", "globus", "onedata", "amove"}
    assert {name for name in planned_or_built if name in described} == {s.name for s in SERVICES}


def test_the_lock_pins_every_dependency_within_its_range():
    locked = _pins("constraints.txt")
    for requirement in _requirements("pytest", "clients", "test"):
        version = locked.get(canonicalize_name(requirement.name))
        assert version is not None, f"constraints.txt does not pin {requirement.name}"
        assert requirement.specifier.contains(version), f"constraints.txt: {version} is outside {requirement}"


def test_the_test_tools_include_the_client_libraries_the_readme_uses():
    assert "transfer-emulators[clients]" in PYPROJECT["project"]["optional-dependencies"]["test"]
    names = {canonicalize_name(r.name) for r in _requirements("clients")}
    assert {"azure-storage-blob", "globus-sdk", "signalrcore"} <= names


def test_every_package_directory_is_configured():
    # setuptools warns at length of a directory it sees but is not told about, and leaves it out.
    configured = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {
        ".".join(d.relative_to(ROOT).parts)
        for d in [ROOT / "emulators", *(ROOT / "emulators").rglob("*")]
        if d.is_dir() and d.name != "__pycache__"
    }
    assert found <= configured, f"not in [tool.setuptools] packages: {sorted(found - configured)}"


def _run(*command: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in command], cwd=cwd, capture_output=True, text=True, check=False, timeout=600
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{output}"
    return output


needs_registries = pytest.mark.skipif(
    os.environ.get("EMULATORS_PACKAGING_TESTS") != "1",
    reason="needs the package registries: set EMULATORS_PACKAGING_TESTS=1 (make test-min does)",
)


@needs_registries
def test_the_wheel_installs_beside_common_pins_and_its_plugin_runs(tmp_path: Path):
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", tmp_path / "dist", ROOT)
    assert "Warning" not in built
    [wheel] = (tmp_path / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as contents:
        names = set(contents.namelist())
    shipped = {"emulators/schema/scenario.schema.json", "emulators/scenarios/default.yaml"}
    shipped |= {
        f"emulators/openapi/{service}.yaml" for service in ("relativity", "globus", "onedata", "amove")
    }
    shipped |= {
        f"emulators/core/ui/{p.name}" for p in (ROOT / "emulators" / "core" / "ui").iterdir() if p.is_file()
    }
    assert shipped <= names, sorted(shipped - names)
    (tmp_path / "pins.txt").write_text("\n".join(NEIGHBOUR_PINS) + "\n", encoding="utf-8")
    _run(sys.executable, "-m", "venv", tmp_path / "venv")
    python = tmp_path / "venv" / "bin" / "python"
    _run(python, "-m", "pip", "install", "--quiet", "--constraint", tmp_path / "pins.txt", f"{wheel}[pytest]")

    installed = _run(python, "-m", "pip", "list", "--format=freeze").splitlines()
    for pin in map(Requirement, NEIGHBOUR_PINS):
        [line] = [x for x in installed if canonicalize_name(x.split("==")[0]) == canonicalize_name(pin.name)]
        assert pin.specifier.contains(line.split("==")[1]), line
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_example.py").write_text(_readme_plugin_example(), encoding="utf-8")
    assert "2 passed" in _run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    command = tmp_path / "venv" / "bin" / "transfer-emulators"
    assert _run(command, "--version") == f"transfer-emulators {__version__}\n"


def _workflow() -> dict[str, Any]:
    """The GitHub Actions workflow docs/ci.md shows."""
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    [block] = re.findall(r"^```yaml\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)
    workflow: dict[str, Any] = yaml.safe_load(block)
    return workflow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@needs_registries
@pytest.mark.skipif(
    shutil.which("curl") is None, reason="the workflow's steps call curl, which this machine lacks"
)
def test_the_ci_example_runs_with_pipx_from_a_wheel(tmp_path: Path):
    """docs/ci.md's workflow, step by step with bash, as a runner would: the emulators started by
    `pipx run` from a wheel of this checkout, the wait, the test step and the failure steps."""
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", tmp_path / "dist", ROOT)
    [wheel] = (tmp_path / "dist").glob("*.whl")
    job = _workflow()["jobs"]["test"]
    port = str(_free_port())
    environment = dict(os.environ, **{k: v.replace("8700", port) for k, v in job["env"].items()})
    environment |= {
        "EMULATORS_SPEC": str(wheel),
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(tmp_path / "bin"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    scripts = [step["run"].replace("8700", port) for step in job["steps"] if "run" in step]
    assert [step.get("if") for step in job["steps"] if "run" in step] == [None, None, None, "failure()"]
    start, *rest = scripts
    server = subprocess.Popen(["bash", "-ec", start], cwd=tmp_path, env=environment, start_new_session=True)
    try:
        server.wait(60)  # the step itself returns at once, leaving the server in the background
        for script in rest:
            done = subprocess.run(
                ["bash", "-ec", script],
                cwd=tmp_path,
                env=environment,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, f"{script}\n{done.stdout}{done.stderr}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
    archive = json.loads((tmp_path / "emulators.har").read_text(encoding="utf-8"))
    assert archive["log"]["creator"]["name"] == "transfer-emulators"
    assert "listening on" in (tmp_path / "emulators.log").read_text(encoding="utf-8")


@needs_registries
def test_make_setup_says_what_it_does_and_prints_no_warning(tmp_path: Path):
    venv = tmp_path / "venv"

    output = _run(
        "make", "--no-print-directory", "setup", f"VENV={venv}", f"PYTHON={sys.executable}", cwd=ROOT
    )

    lines = output.splitlines()
    assert (
        lines[0]
        == f"Setting up {venv}: installing the package and its test tools (versions from constraints.txt)..."
    )
    assert "Warning" not in output
    assert (venv / ".installed").exists()
