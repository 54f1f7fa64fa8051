"""The pytest plugin (registered through the `pytest11` entry point as `transfer_emulators`).

Fixtures:
- `emulator`: an in-process emulator, fresh for every test: `emulator.client` is an httpx client
  over the ASGI app (no socket), `emulator.control` a `ControlClient`, manual clock by default.
- `emulator_factory`: the same, built from arguments: `emulator_factory(scenario="relativity-stages")`.
- `emulator_server`: a live server on a free port (one per session, reset before each test);
  `emulator_server.url` is its base URL.

Options come from `@pytest.mark.emulator(scenario=..., clock=..., seed=..., scenario_text=...)`;
`scenario` is a bundled scenario's name (e.g. "default") or a file path, or a list of them (layered).
On teardown the plugin fails the test if the journal holds a 500 that no fault rule caused: a 500 is
the emulator's own failure, while other 5xx (a Globus `ExternalError` 502, say) are documented answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulators.app import EmulatorApp, create_app, default_scenario_path
from emulators.core.clock import ClockMode
from emulators.core.host import Host
from emulators.core.world import World
from emulators.server import ThreadedServer
from emulators.testing.client import ControlClient
from emulators.testing.transport import InProcessTransport

IN_PROCESS_BASE_URL = "http://emulator.test"
UNEXPECTED = 500  # the status of an emulator failure; other 5xx can be documented answers


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "emulator(scenario=None, scenario_text=None, clock='manual', seed=None): "
        "configure the emulator fixtures",
    )


def scenario_files(scenario: str | Path | list[str | Path] | None) -> list[Path]:
    """Bundled scenario names or paths, as paths."""
    if scenario is None:
        return [default_scenario_path()]
    items = scenario if isinstance(scenario, list) else [scenario]
    bundled = default_scenario_path().parent
    paths = []
    for item in items:
        path = Path(item)
        if not path.suffix and (bundled / f"{item}.yaml").exists():
            path = bundled / f"{item}.yaml"
        paths.append(path)
    return paths


@dataclass
class Emulator:
    """An in-process emulator: its app, an httpx client over it and the control client."""

    app: EmulatorApp
    client: httpx.Client
    control: ControlClient

    @property
    def host(self) -> Host:
        host: Host = self.app.state.host
        return host

    @property
    def world(self) -> World:
        return self.host.world

    def unexpected_server_errors(self) -> list[dict[str, Any]]:
        return [e.as_dict() for e in self.world.journal if e.status == UNEXPECTED and e.fault is None]


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("emulator"))):
        options.update(marker.kwargs)
    return options


def _build(
    scenario: Any = None,
    scenario_text: str | None = None,
    clock: ClockMode = "manual",
    seed: int | None = None,
    **app_options: Any,
) -> EmulatorApp:
    files = None if scenario_text is not None and scenario is None else scenario_files(scenario)
    return create_app(
        files,
        scenario_text=scenario_text,
        clock=clock,
        seed=seed,
        **app_options,
    )


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., Emulator]]:
    """Build in-process emulators from arguments; each is closed after the test."""
    made: list[Emulator] = []

    def make(**options: Any) -> Emulator:
        app = _build(**options)
        client = httpx.Client(transport=InProcessTransport(app), base_url=IN_PROCESS_BASE_URL)
        emulator = Emulator(app, client, ControlClient(client))
        made.append(emulator)
        return emulator

    yield make
    errors = [e for emulator in made for e in emulator.unexpected_server_errors()]
    for emulator in made:
        emulator.client.close()
    assert not errors, f"the emulator answered 500 without a fault rule: {errors}"


@pytest.fixture
def emulator(request: pytest.FixtureRequest, emulator_factory: Callable[..., Emulator]) -> Emulator:
    """A fresh in-process emulator configured by the `emulator` marker."""
    return emulator_factory(**_options(request))


@dataclass
class LiveEmulator:
    """An emulator on a real socket."""

    server: ThreadedServer
    control: ControlClient

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="session")
def _emulator_server_session() -> Iterator[LiveEmulator]:
    server = ThreadedServer(create_app(clock="manual")).start()
    with httpx.Client(base_url=server.url) as http:
        yield LiveEmulator(server, ControlClient(http))
    server.stop()


@pytest.fixture
def emulator_server(
    request: pytest.FixtureRequest, _emulator_server_session: LiveEmulator
) -> Iterator[LiveEmulator]:
    """The session's live emulator, loaded with the marker's scenario (or reset) for this test."""
    options = _options(request)
    live = _emulator_server_session
    if "scenario_text" in options:
        live.control.load_scenario(options["scenario_text"])
    else:
        text = "\n".join(p.read_text(encoding="utf-8") for p in scenario_files(options.get("scenario")))
        if len(scenario_files(options.get("scenario"))) > 1:
            raise pytest.UsageError("emulator_server takes one scenario file")
        live.control.load_scenario(text)
    try:
        yield live
        errors = [e for e in live.control.requests(status=UNEXPECTED) if e["fault"] is None]
        assert not errors, f"the emulator answered 500 without a fault rule: {errors}"
    finally:
        live.control.reset()
