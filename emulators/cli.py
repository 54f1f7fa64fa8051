"""The `transfer-emulators` command.

transfer-emulators serve [--host H] [--port P] [--scenario FILE ...] [--clock real|manual]
                         [--speed F] [--seed N] [--control-token T]
transfer-emulators validate FILE ...
transfer-emulators schema            print the scenario JSON Schema
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import uvicorn

from emulators.app import SERVICES, create_app, default_scenario_path, load_scenario_files
from emulators.core.errors import ScenarioError
from emulators.core.host import Host
from emulators.core.scenario import schema_text
from emulators.server import bind, make_config

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="transfer-emulators", description="Stateful transfer-service emulators."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve every emulator on one port")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8700, help="0 picks a free port")
    serve.add_argument("--scenario", nargs="+", metavar="FILE", help="scenario files, later ones override")
    serve.add_argument("--clock", choices=["real", "manual"], help="default: the scenario's")
    serve.add_argument("--speed", type=float, help="real-clock speed factor")
    serve.add_argument("--seed", type=int, help="default: the scenario's")
    serve.add_argument("--control-token", help="allow remote control-API calls bearing this token")
    serve.add_argument("--log-level", default="warning")
    validate = commands.add_parser("validate", help="check scenario files")
    validate.add_argument("files", nargs="+", metavar="FILE")
    commands.add_parser("schema", help="print the scenario JSON Schema")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "validate":
        return _validate(args.files)
    if args.command == "schema":
        sys.stdout.write(schema_text({s.name: s.section for s in SERVICES}))
        return 0
    return _serve(args)


def _validate(files: list[str]) -> int:
    problems = []
    for path in files:
        try:
            load_scenario_files([path])
        except ScenarioError as exc:
            problems.extend(exc.problems)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        print(f"{len(files)} scenario file(s) valid")
    return 1 if problems else 0


def _serve(args: argparse.Namespace) -> int:
    files = args.scenario or [str(default_scenario_path())]
    try:
        app = create_app(
            files, clock=args.clock, speed=args.speed, seed=args.seed, control_token=args.control_token
        )
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        return 1
    sock = bind(args.host, args.port)
    host, port = sock.getsockname()[:2]
    base = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    _announce(base, app.state.host, files)
    server = uvicorn.Server(make_config(app, host, port, args.log_level))
    try:
        server.run(sockets=[sock])  # uvicorn's own loop set-up (uvloop) and signal handling
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0


def _announce(base: str, host: Host, files: list[str]) -> None:
    world = host.world
    print(f"transfer-emulators listening on {base}")
    print(
        f"  scenario: {', '.join(files)} ({host.scenario.model.name or 'unnamed'}), seed {world.seed}, "
        f"clock {world.clock.mode} at {world.clock.now().isoformat()}"
    )
    print(f"  control API: {base}/_emulator/health")
    for service in host.services:
        print(f"  {service.name}:")
        for line in service.describe(world.store_named(service.name), base):
            print(f"    {line}")
    sys.stdout.flush()


def _shown(path: str) -> str:
    """A path relative to the working directory when it lies below it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


if __name__ == "__main__":
    raise SystemExit(main())
