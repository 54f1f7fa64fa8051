"""The pytest plugin (registered through the `pytest11` entry point as `transfer_emulators`).

Fixtures:
- `emulator`: an in-process emulator, fresh for every test: `emulator.client` is an httpx client
  over the ASGI app (no socket), `emulator.control` a `ControlClient`, manual clock by default.
- `emulator_factory`: the same, built from arguments: `emulator_factory(scenario="relativity-stages")`.
- `emulator_server`: a live server on a free port (one per session, reset before each test);
  `emulator_server.url` is its base URL. With the marker's `tls=True` it is another session server
  that serves HTTPS (`https://` URL) with a certificate from a CA made for the session, whose PEM
  file is `emulator_server.ca` (for a client to verify with); the in-process fixtures ignore `tls`.

Options come from `@pytest.mark.emulator(scenario=..., clock=..., seed=..., scenario_text=..., tls=...)`;
`scenario` is a bundled scenario's name (e.g. "default") or a file path, or a list of them (layered);
a relative path is found beside the test file, or else under pytest's rootdir, never by the current
directory, so a test passes from wherever pytest starts. `scenario_text` is layered over it. Both
fixtures build the scenario the same way, in this process.
On teardown the plugin fails the test if the journal holds a 500 that no fault rule caused: a 500 is
the emulator's own failure, while other 5xx (a Globus `ExternalError` 502, say) are documented answers.

When a test fails, its report gets a section per emulator it used, listing the journal's last
requests; with `--emulator-har DIR`, each journal is also written to DIR as an HTTP Archive (HAR 1.2)
that a browser's devtools open, for a CI job to keep as an artifact.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from emulators.testing.client import ControlClient, ControlClientError

if TYPE_CHECKING:  # the app is imported when a fixture is used, not when pytest starts
    from emulators.app import EmulatorApp
    from emulators.core.host import Host
    from emulators.core.scenario import Scenario
    from emulators.core.world import World
    from emulators.server import ThreadedServer
    from emulators.testing.transport import InProcessTransport
    from emulators.testing.websocket import InProcessWebSocket

IN_PROCESS_BASE_URL = "http://emulator.test"
UNEXPECTED = 500  # the status of an emulator failure; other 5xx can be documented answers


JOURNAL_LINES = 30  # requests listed in a failing test's report section
USED: pytest.StashKey[list[Emulator | LiveEmulator]] = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("transfer-emulators").addoption(
        "--emulator-har",
        metavar="DIR",
        type=Path,
        default=None,
        help="write the journal of each failing test's emulators to DIR as HAR files",
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    used = item.stash.get(USED, [])
    if report.when == "call" and report.failed and used:
        folder: Path | None = item.config.getoption("emulator_har")
        for number, emulator in enumerate(used, 1):
            report.sections.append(_journal_section(item, emulator, number, folder))
    return report


def _journal_section(
    item: pytest.Item, emulator: Emulator | LiveEmulator, number: int, folder: Path | None
) -> tuple[str, str]:
    """A report section with the emulator's last requests, and the HAR file written, if asked."""
    title = f"emulator {number} journal"
    try:
        entries = emulator.control.requests(limit=JOURNAL_LINES)
        archive = emulator.control.har() if folder is not None else None
    except (httpx.HTTPError, RuntimeError, ControlClientError) as exc:  # a closed client, a stopped server
        return title, f"(the journal could not be read: {exc})"
    lines = [
        f"{e['time']} {e['method']} {e['path']} -> {e['status']}"
        + (f" (fault {e['fault']})" if e["fault"] else "")
        for e in entries
    ]
    if archive is not None and folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        name = "".join(c if c.isalnum() or c in "-_." else "_" for c in item.nodeid)
        path = folder / f"{name}-{number}.har"
        path.write_text(json.dumps(archive, indent=1), encoding="utf-8")
        lines.append(f"HAR: {path}")
    return title, "\n".join(lines) or "(no requests)"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "emulator(scenario=None, scenario_text=None, clock='manual', seed=None, tls=False): "
        "configure the emulator fixtures (tls: emulator_server only)",
    )


MARKER_OPTIONS = ("scenario", "scenario_text", "clock", "seed", "tls")
CLOCKS = ("manual", "real")


def scenario_files(
    scenario: str | Path | list[str | Path] | None, folders: Sequence[Path] = ()
) -> list[Path]:
    """Bundled scenario names or paths, as paths: a relative path is looked up in `folders`, in
    order (the plugin passes the test file's directory, then the rootdir). An unknown name or a
    missing file fails the test with where it looked and the bundled names."""
    from emulators.app import default_scenario_path

    if scenario is None:
        return [default_scenario_path()]
    items = scenario if isinstance(scenario, list) else [scenario]
    bundled = default_scenario_path().parent
    paths = []
    for item in items:
        path = Path(item)
        if not path.suffix and (bundled / f"{item}.yaml").exists():
            path = bundled / f"{item}.yaml"
        else:
            candidates = [path] if path.is_absolute() else [folder / path for folder in folders]
            found = next((c for c in candidates if c.exists()), None)
            if found is None:
                known = ", ".join(sorted(p.stem for p in bundled.glob("*.yaml")))
                looked = f" (looked in {', '.join(map(str, folders))})" if not path.is_absolute() else ""
                pytest.fail(
                    f"emulator: no scenario {item!r}: not a file{looked}, nor a bundled one ({known})",
                    pytrace=False,
                )
            path = found
        paths.append(path)
    return paths


def _scenario_folders(request: pytest.FixtureRequest) -> tuple[Path, ...]:
    """Where a test's relative scenario paths are found: beside its file, then under the rootdir."""
    return tuple(dict.fromkeys((request.path.parent, request.config.rootpath)))  # once each, in order


def build_scenario(
    scenario: Any = None, scenario_text: str | None = None, folders: Sequence[Path] = ()
) -> Scenario:
    """The marker's scenario: the files (or bundled names), with `scenario_text` layered over them;
    either alone; or the default. An invalid one fails the test with its problems, not a traceback."""
    from emulators.app import load_scenario_files
    from emulators.core.errors import ScenarioError

    files = [] if scenario is None and scenario_text is not None else scenario_files(scenario, folders)
    try:
        return load_scenario_files(files, text=scenario_text)
    except ScenarioError as exc:
        problems = str(exc)
    pytest.fail(f"emulator: invalid scenario\n{problems}", pytrace=False)  # outside: no chained traceback


@dataclass
class Emulator:
    """An in-process emulator: its app, an httpx client over it and the control client."""

    app: EmulatorApp
    client: httpx.Client
    control: ControlClient
    transport: InProcessTransport | None = None

    def websocket(
        self, path: str, headers: dict[str, str] | None = None, subprotocols: list[str] | None = None
    ) -> InProcessWebSocket:
        """Open a WebSocket to `path` (query string included) on this emulator, in process."""
        from emulators.testing.websocket import InProcessWebSocket

        if self.transport is None:
            raise RuntimeError("this emulator has no in-process transport")
        return InProcessWebSocket(self.transport.portal, self.app, path, headers, subprotocols)

    def advance(self, seconds: float) -> None:
        """Move virtual time forward through the control API: when it returns, every timer due has
        run, every callback due has been delivered (or failed and been journaled) and every push due
        has been sent."""
        self.control.advance(seconds)

    @property
    def host(self) -> Host:
        host: Host = self.app.state.host
        return host

    @property
    def world(self) -> World:
        return self.host.world

    def unexpected_server_errors(self) -> list[dict[str, Any]]:
        # A callback target's 500 (an outbound entry) is the target's answer, not the emulator's.
        return [
            e.as_dict()
            for e in self.world.journal
            if e.status == UNEXPECTED and e.fault is None and e.direction == "inbound"
        ]


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The `emulator` markers' options, the closest marker winning; checked like arguments."""
    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("emulator"))):
        if marker.args:
            pytest.fail("emulator marker: options are keywords, e.g. scenario='default'", pytrace=False)
        options.update(marker.kwargs)
    return _checked(options)


def _checked(options: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - set(MARKER_OPTIONS))
    if unknown:
        pytest.fail(f"emulator: unknown option(s) {unknown}; known: {list(MARKER_OPTIONS)}", pytrace=False)
    if options.get("clock", "manual") not in CLOCKS:
        pytest.fail(f"emulator: clock must be one of {list(CLOCKS)}, not {options['clock']!r}", pytrace=False)
    seed = options.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        pytest.fail(f"emulator: seed must be an integer, not {seed!r}", pytrace=False)
    if not isinstance(options.get("tls", False), bool):
        pytest.fail(f"emulator: tls must be True or False, not {options['tls']!r}", pytrace=False)
    return options


def _build(
    folders: Sequence[Path],
    scenario: Any = None,
    scenario_text: str | None = None,
    clock: str = "manual",
    seed: int | None = None,
    tls: bool = False,  # a socket's concern: in process there is none
) -> EmulatorApp:
    from emulators.app import create_app

    scenario = build_scenario(scenario, scenario_text, folders)
    return create_app(scenario=scenario, clock=clock, seed=seed)  # type: ignore[arg-type]  # checked


@pytest.fixture
def emulator_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., Emulator]]:
    """Build in-process emulators from arguments; each is closed after the test."""
    made: list[Emulator] = []

    def make(**options: Any) -> Emulator:
        from emulators.testing.transport import InProcessTransport

        app = _build(_scenario_folders(request), **_checked(options))
        app.host.public_url = IN_PROCESS_BASE_URL  # links the emulator hands out reach it in process
        transport = InProcessTransport(app)
        client = httpx.Client(transport=transport, base_url=IN_PROCESS_BASE_URL)
        emulator = Emulator(app, client, ControlClient(client), transport)
        made.append(emulator)
        request.node.stash.setdefault(USED, []).append(emulator)
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
    """An emulator on a real socket; over HTTPS when `ca` (the CA's PEM file) is set."""

    server: ThreadedServer
    control: ControlClient
    host: Host  # the server's, in this process: the fixture loads each test's scenario into it
    ca: Path | None = None

    @property
    def url(self) -> str:
        return self.server.url


def _live(tls_dir: Path | None) -> Iterator[LiveEmulator]:
    """A session's live emulator: plain HTTP, or HTTPS with a certificate written to `tls_dir`."""
    from emulators.app import create_app
    from emulators.server import ThreadedServer, issue_certificate

    app = create_app(clock="manual")
    tls = None if tls_dir is None else issue_certificate(tls_dir, [])
    server = ThreadedServer(app, tls=tls).start()
    app.host.public_url = server.url  # links the emulator hands out point at this server
    verify = True if tls is None else ssl.create_default_context(cafile=str(tls.ca))
    with httpx.Client(base_url=server.url, verify=verify) as http:
        yield LiveEmulator(server, ControlClient(http), app.host, None if tls is None else tls.ca)
    server.stop()


@pytest.fixture(scope="session")
def _emulator_server_session() -> Iterator[LiveEmulator]:
    yield from _live(None)


@pytest.fixture(scope="session")
def _emulator_tls_server_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveEmulator]:
    yield from _live(tmp_path_factory.mktemp("emulator-tls"))


@pytest.fixture
def emulator_server(request: pytest.FixtureRequest) -> Iterator[LiveEmulator]:
    """The session's live emulator, loaded with the marker's scenario, clock and seed for this test;
    with `tls=True`, the session's HTTPS one (verify with `emulator_server.ca`).

    The scenario is loaded in this process, between requests, the way `emulator` builds one: files
    keep their names, so `extends:` relative to them works, and several files layer.
    """
    options = _options(request)
    session = "_emulator_tls_server_session" if options.get("tls") else "_emulator_server_session"
    live: LiveEmulator = request.getfixturevalue(session)  # the HTTPS one only once a test asks
    scenario = build_scenario(
        options.get("scenario"), options.get("scenario_text"), _scenario_folders(request)
    )
    live.host.clock_mode, live.host.seed = options.get("clock", "manual"), options.get("seed")
    live.host.load(scenario)
    request.node.stash.setdefault(USED, []).append(live)
    try:
        yield live
        errors = [
            e
            for e in live.control.requests(status=UNEXPECTED)
            if e["fault"] is None and e["direction"] == "inbound"
        ]
        assert not errors, f"the emulator answered 500 without a fault rule: {errors}"
    finally:
        live.control.reset()
