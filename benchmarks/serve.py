"""A server process for the throughput benchmark: the emulator, or a bare Starlette baseline.

    python -m benchmarks.serve emulator                 the emulator app (default scenario, manual clock)
    python -m benchmarks.serve bare --document JSON     one route, GET /status (or --path), answering JSON
    python -m benchmarks.serve hub                      the emulator for the Amove hub benchmark
    python -m benchmarks.serve broadcast                a bare WebSocket broadcast (`hub_pushes`)

Both run on uvicorn with the emulator's own config (`make_config`, so the same protocol class) on a
socket from `bind` on 127.0.0.1, port 0. The first line printed is `PORT <n>`. The server stops on
SIGTERM or SIGINT, when its standard input closes (the parent went away), or after `--lifetime`
seconds, whichever comes first.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from emulators.app import EmulatorApp, create_app
from emulators.server import bind, make_config

HOST = "127.0.0.1"
BARE_PATH = "/status"
NO_JOURNAL = "version: 1\nextends: default\njournal: {size: 0}\n"
# The hub benchmark's Amove: transfers picked up at once that run for days (the samples' photos at
# 1,000 bytes/s), and a push of each running one to every hub connection each second.
HUB_SCENARIO = """
version: 1
extends: default
services:
  amove:
    behaviour: {pickup_delay: 0, rate: {bandwidth: 1000, per_file: 0}}
    hub: {interval: 1}
"""


def bare_app(document: Any, path: str = BARE_PATH) -> Starlette:
    """A Starlette app with a single JSON route at `path`, the baseline an emulator route is
    compared with (given the path the emulator serves, it answers the emulator's very request)."""

    async def status(request: Request) -> JSONResponse:
        return JSONResponse(document)

    return Starlette(routes=[Route(path, status, methods=["GET"])])


def broadcast_app() -> Starlette:
    """The hub benchmark's baseline: WebSocket subscribers at /ws, `POST /message` sets the text
    (body) and `POST /tick?count=N` sends it N times to every subscriber, answering once all is sent."""
    subscribers: set[WebSocket] = set()
    message = [""]

    async def subscribe(websocket: WebSocket) -> None:
        await websocket.accept()
        subscribers.add(websocket)
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect:
            subscribers.discard(websocket)

    async def set_message(request: Request) -> Response:
        message[0] = (await request.body()).decode()
        return Response(status_code=204)

    async def tick(request: Request) -> JSONResponse:
        count = int(request.query_params.get("count", "1"))
        for _ in range(count):
            for websocket in list(subscribers):
                await websocket.send_text(message[0])
        return JSONResponse({"sent": count * len(subscribers)})

    return Starlette(
        routes=[
            WebSocketRoute("/ws", subscribe),
            Route("/message", set_message, methods=["POST"]),
            Route("/tick", tick, methods=["POST"]),
        ]
    )


def _stop_when(server: uvicorn.Server, lifetime: float) -> None:
    """Ask the server to exit once stdin closes or the lifetime is over."""
    closed = threading.Event()

    def watch_stdin() -> None:
        sys.stdin.read()
        closed.set()

    threading.Thread(target=watch_stdin, daemon=True).start()

    def stop() -> None:
        closed.wait(lifetime)
        server.should_exit = True

    threading.Thread(target=stop, daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app", choices=["emulator", "bare", "hub", "broadcast"])
    parser.add_argument("--document", default="{}", help="the bare route's JSON answer")
    parser.add_argument("--path", default=BARE_PATH, help="the bare route's path")
    parser.add_argument("--lifetime", type=float, default=300.0, help="seconds before exiting anyway")
    parser.add_argument("--no-journal", action="store_true", help="the emulator with its journal off")
    args = parser.parse_args()
    if args.app == "bare":
        app: Any = bare_app(json.loads(args.document), args.path)
    elif args.app == "hub":
        app = create_app(scenario_text=HUB_SCENARIO, clock="manual")
    elif args.app == "broadcast":
        app = broadcast_app()
    elif args.no_journal:
        app = create_app(scenario_text=NO_JOURNAL, clock="manual")
    else:
        app = create_app(clock="manual")
    if isinstance(app, EmulatorApp):
        app.host.freeze_survivors = True  # as `transfer-emulators serve` runs it
    sock = bind(HOST, 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(make_config(app, HOST, port))
    _stop_when(server, args.lifetime)
    print(f"PORT {port}", flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


if __name__ == "__main__":
    main()
