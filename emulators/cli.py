"""The `transfer-emulators` command.

transfer-emulators serve [--host H] [--port P] [--scenario FILE ...] [--scenario-dir DIR]
                         [--clock real|manual] [--speed F] [--seed N] [--control-token T]
                         [--allowed-host NAME] [--keep-alive-timeout S] [--header-timeout S]
                         [--body-timeout S] [--tls] [--tls-dir DIR] [--log-level LEVEL]
transfer-emulators validate FILE ...
transfer-emulators scenarios         list the bundled scenarios, by name with their headlines
transfer-emulators schema            print the scenario JSON Schema
transfer-emulators --version

A scenario argument (`--scenario`, `validate`) is a file, or else a bundled scenario's name
(`relativity-stages`), as in `extends:` and the pytest marker.

Exit status: 0 on success, 1 when a scenario file is invalid or the server cannot listen, and 2
(argparse's convention) for a bad command line. Each is reported on stderr without a traceback:
command-line errors by argparse, scenario problems as `file:line: key.path: message` (`file: message`
when there is no line), and a server that cannot listen on one line naming the address.
"""

from __future__ import annotations

import argparse
import errno
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import uvicorn
from uvicorn.config import LOG_LEVELS

from emulators import __version__
from emulators.app import SERVICES, create_app, default_scenario_path, load_scenario_files
from emulators.core.console import Console
from emulators.core.errors import Problem, ScenarioError
from emulators.core.host import Host
from emulators.core.scenario import MAX_SPEED, schema_text
from emulators.server import Timeouts, TLSFiles, bind, issue_certificate, make_config

__all__ = ["main"]

EXIT_STATUS = (
    "exit status: 0 on success, 1 when a scenario file is invalid or the server cannot listen, "
    "2 for a bad command line"
)
MAX_PORT = 65535
MAX_TIMEOUT = 86_400


def _port(text: str) -> int:
    """A TCP port number (an argparse type)."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= MAX_PORT:
        raise argparse.ArgumentTypeError(f"must be 0 to {MAX_PORT} (0 picks a free port), not {port}")
    return port


def _speed(text: str) -> float:
    """A real-clock speed factor: finite and above 0, as in a scenario (an argparse type)."""
    try:
        speed = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < speed <= MAX_SPEED:  # NaN fails every comparison, so it lands here too
        raise argparse.ArgumentTypeError(f"must be above 0 and at most {MAX_SPEED:,}, not {text}")
    return speed


def _seconds(text: str) -> float:
    """A timeout: finite and above 0 (an argparse type)."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < seconds <= MAX_TIMEOUT:  # NaN fails every comparison, so it lands here too
        raise argparse.ArgumentTypeError(f"must be above 0 and at most {MAX_TIMEOUT:,} seconds, not {text}")
    return seconds


def _directory(text: str) -> Path:
    """An existing directory, made absolute (an argparse type)."""
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"not a directory: {text!r}")
    return Path(text).resolve()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="transfer-emulators", description="Stateful transfer-service emulators.", epilog=EXIT_STATUS
    )
    parser.add_argument("--version", action="version", version=f"transfer-emulators {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve every emulator on one port", epilog=EXIT_STATUS)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_port, default=8700, help="0 to 65535; 0 picks a free port")
    serve.add_argument(
        "--scenario",
        nargs="+",
        metavar="FILE",
        help="scenario files or bundled names (see `scenarios`), later ones override",
    )
    serve.add_argument(
        "--scenario-dir",
        type=_directory,
        action="append",
        default=[],
        metavar="DIR",
        help="scenarios loaded through the control API may extend files under DIR (repeatable); "
        "otherwise only the bundled ones",
    )
    serve.add_argument("--clock", choices=["real", "manual"], help="default: the scenario's")
    serve.add_argument(
        "--speed",
        type=_speed,
        metavar="FACTOR",
        help=f"real-clock speed factor, above 0 and at most {MAX_SPEED:,}; default: the scenario's",
    )
    serve.add_argument("--seed", type=int, metavar="N", help="default: the scenario's")
    serve.add_argument(
        "--control-token", metavar="T", help="allow remote control-API calls bearing this token"
    )
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="the base URL clients reach the server at, for the links it hands out (default: bound address)",
    )
    serve.add_argument(
        "--link-secret",
        metavar="S",
        help="sign download links with this secret (default: a fresh random one on every start)",
    )
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host name the control API answers besides the bound address and localhost, e.g. the "
        "name a CI service reaches the emulator by (repeatable)",
    )
    for name, default, what in (
        ("--keep-alive-timeout", Timeouts.keep_alive, "how long a connection may idle between requests"),
        ("--header-timeout", Timeouts.header, "how long a request's headers may take to arrive"),
        ("--body-timeout", Timeouts.body, "how long a request's body may pause"),
    ):
        serve.add_argument(
            name, type=_seconds, default=default, metavar="SECONDS", help=f"{what} (default: {default:g})"
        )
    serve.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a certificate from a CA made at start-up, for the bound host, localhost, "
        "the --allowed-host names and the host names the scenario gives its services",
    )
    serve.add_argument(
        "--tls-dir",
        type=_directory,
        metavar="DIR",
        help="write the CA (ca.pem), certificate and key here (implies --tls; default: a temporary "
        "directory, removed on exit)",
    )
    serve.add_argument(
        "--console",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="print a line per request (default: when the output is a terminal)",
    )
    serve.add_argument(
        "--log-level",
        type=str.lower,
        choices=list(LOG_LEVELS),
        default="warning",
        metavar="LEVEL",
        help=f"the server's log level: {', '.join(LOG_LEVELS)} (default: warning)",
    )
    validate = commands.add_parser("validate", help="check scenario files", epilog=EXIT_STATUS)
    validate.add_argument("files", nargs="+", metavar="FILE", help="scenario files or bundled names")
    commands.add_parser("scenarios", help="list the bundled scenarios by name, with their headlines")
    commands.add_parser("schema", help="print the scenario JSON Schema")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "validate":
        return _validate(args.files)
    if args.command == "scenarios":
        return _list_scenarios()
    if args.command == "schema":
        sys.stdout.write(schema_text({s.name: s.section for s in SERVICES}))
        return 0
    return _serve(args)


def _validate(files: list[str]) -> int:
    # Each file on its own, so a bad file hides nothing in the others.
    problems = [problem for path in files for problem in _check(path)]
    _report(problems)
    if not problems:
        print(f"{len(files)} scenario file(s) valid")
    return 1 if problems else 0


def _check(path: str) -> list[Problem]:
    """Every problem with one scenario file."""
    if unreadable := _unreadable([path]):
        return unreadable
    try:
        load_scenario_files([_scenario_file(path)])
    except ScenarioError as exc:
        return exc.problems
    return []


def _bundled() -> dict[str, Path]:
    """The bundled scenarios' files by name."""
    return {path.stem: path for path in sorted(default_scenario_path().parent.glob("*.yaml"))}


def _is_name(item: str) -> bool:
    """Whether a scenario argument could be a bundled name: no folder and no extension."""
    return not Path(item).suffix and Path(item).name == item


def _scenario_file(item: str) -> str:
    """The file a scenario argument names: a file that exists, or else a bundled scenario by name;
    anything else unchanged, so that reading it reports why it cannot be read."""
    if not Path(item).is_file() and _is_name(item) and item in (bundled := _bundled()):
        return str(bundled[item])
    return item


NOT_BUNDLED = "; nor a bundled scenario (`transfer-emulators scenarios` lists them)"


def _unreadable(files: list[str]) -> list[Problem]:
    """Files that cannot be read as UTF-8 text, each with the reason in words (line 0: none)."""
    problems = []
    for path in files:
        try:
            Path(_scenario_file(path)).read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            reason = f"not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start})"
            problems.append(Problem(path, 0, "", f"cannot read the file: {reason}"))
        except OSError as exc:
            hint = NOT_BUNDLED if _is_name(path) else ""
            problems.append(Problem(path, 0, "", f"cannot read the file: {exc.strerror or exc}{hint}"))
    return problems


def _list_scenarios() -> int:
    bundled = _bundled()
    width = max(map(len, bundled))
    for name, path in bundled.items():
        print(f"{name:<{width}}  {_headline(path)}".rstrip())
    return 0


# The header's first phrase: up to the first full stop or colon that ends a word.
HEADLINE = re.compile(r"(?P<phrase>.+?)[.:](?:\s|$)")


def _headline(path: Path) -> str:
    """The first phrase of a scenario file's comment header (the lines starting with `#`)."""
    header = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        header.append(line.lstrip("#").strip())
    text = " ".join(header)
    match = HEADLINE.match(text)
    return match["phrase"] if match else text


def _report(problems: list[Problem]) -> None:
    """Print each problem as `file:line: key.path: message`, or `file: message` without a line."""
    for problem in problems:
        where = f"{problem.file}:{problem.line}: {problem.key or '(top)'}" if problem.line else problem.file
        print(f"{where}: {problem.message}", file=sys.stderr)


def _serve(args: argparse.Namespace) -> int:
    named = args.scenario or [str(default_scenario_path())]
    if problems := _unreadable(named):
        _report(problems)
        return 1
    files = [_scenario_file(item) for item in named]
    try:
        app = create_app(
            files,
            clock=args.clock,
            speed=args.speed,
            seed=args.seed,
            control_token=args.control_token,
            scenario_dirs=args.scenario_dir,
            allowed_hosts=[args.host, *args.allowed_host],  # the name it was bound by is its own
        )
    except ScenarioError as exc:
        _report(exc.problems)
        return 1
    app.host.freeze_survivors = True  # this process only serves
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        print(f"transfer-emulators serve: error: {_bind_failure(args.host, args.port, exc)}", file=sys.stderr)
        return 1
    host, port = sock.getsockname()[:2]
    tls_dir = args.tls_dir or (Path(tempfile.mkdtemp(prefix="transfer-emulators-tls-")) if args.tls else None)
    try:
        try:
            tls = None if tls_dir is None else _certificate(tls_dir, args, app.host)
        except OSError as exc:
            print(
                f"transfer-emulators serve: error: cannot write the TLS files to {tls_dir}: {exc}",
                file=sys.stderr,
            )
            return 1
        base = f"{'http' if tls is None else 'https'}://{_address(host, port)}"
        app.host.public_url = (args.public_url or base).rstrip("/")
        if args.link_secret:
            app.host.use_link_secret(args.link_secret.encode())
        _announce(base, app.state.host, named, tls)
        if args.console if args.console is not None else sys.stdout.isatty():
            app.host.console = Console(sys.stdout, colour=sys.stdout.isatty())
        timeouts = Timeouts(
            keep_alive=args.keep_alive_timeout, header=args.header_timeout, body=args.body_timeout
        )
        server = uvicorn.Server(make_config(app, host, port, args.log_level, timeouts, tls))
        server.run(sockets=[sock])  # uvicorn's own loop set-up (uvloop) and signal handling
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        if tls_dir is not None and args.tls_dir is None:
            shutil.rmtree(tls_dir, ignore_errors=True)  # the temporary CA dies with the server
    return 0


def _certificate(directory: Path, args: argparse.Namespace, host: Host) -> TLSFiles:
    """The server's certificate, for every name clients may reach it by: the bound host, the
    --allowed-host names, the public URL's host and the host names the services' scenario sections
    give (Onedata's provider domains, say; the loopback names are always added)."""
    names = [args.host, *args.allowed_host, *([args.public_url] if args.public_url else [])]
    names += [name for s in host.services for name in s.hostnames(host.world.store_named(s.name))]
    return issue_certificate(directory, names)


def _address(host: str, port: int) -> str:
    return f"{host if ':' not in host else f'[{host}]'}:{port}"


def _bind_failure(host: str, port: int, exc: OSError) -> str:
    """Why the server cannot listen, in one line that names the address."""
    if exc.errno == errno.EADDRINUSE:
        return (
            f"cannot listen on {_address(host, port)}: the address is already in use "
            "(stop what holds it, or pick another --port; --port 0 picks a free one)"
        )
    return f"cannot listen on {_address(host, port)}: {exc.strerror or exc}"


def _announce(base: str, host: Host, files: list[str], tls: TLSFiles | None) -> None:
    world = host.world
    print(f"transfer-emulators listening on {base}")
    print(
        f"  scenario: {', '.join(files)} ({host.scenario.model.name or 'unnamed'}), seed {world.seed}, "
        f"clock {world.clock.mode} at {world.clock.now().isoformat()}"
    )
    if tls is not None:
        print(f"  TLS: clients trust the CA in {tls.ca}")
        print(f"    e.g. REQUESTS_CA_BUNDLE={tls.ca} (requests), SSL_CERT_FILE={tls.ca} (httpx, OpenSSL),")
        print(f"    curl --cacert {tls.ca}")
    print(f"  control API: {base}/_emulator/health")
    for service in host.services:
        print(f"  {service.name}:")
        for line in service.describe(world.store_named(service.name), base):
            print(f"    {line}")
    print(f"transfer-emulators {__version__} ready: Ctrl-C to stop")
    sys.stdout.flush()


if __name__ == "__main__":
    raise SystemExit(main())
