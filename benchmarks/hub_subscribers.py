"""The subscriber process of the hub benchmark: N WebSocket clients that count the pushes they hear.

    python -m benchmarks.hub_subscribers --url http://127.0.0.1:PORT --count 200 \
        [--signalr --header "Authorization: Bearer JWT"] [--path /ws]

With `--signalr` each client does what a SignalR client does on the Amove hub: negotiate
(`POST /api/rm/negotiate?negotiateVersion=1`), open `/api/rm?id=<connectionToken>` and send the JSON
handshake, then wait for `{}`. Without it, each opens `--path` and only listens. The clients are the
`websockets` library's, without compression, all in one asyncio loop.

Commands come one a line on stdin; each answer is one JSON line on stdout: `READY` is printed once
every client is connected, `COUNT` answers `{"received": n, "sample": first push or null}` (pushes
are invocations, records starting `{"type":1`), and the process exits when stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
from dataclasses import dataclass

import httpx
from websockets.asyncio.client import ClientConnection, connect

RS = "\x1e"
PUSH = '{"type":1,'


@dataclass
class Tally:
    received: int = 0
    sample: str | None = None


async def _open(
    args: argparse.Namespace, headers: dict[str, str], http: httpx.AsyncClient
) -> ClientConnection:
    ws_base = "ws" + args.url.removeprefix("http")
    if not args.signalr:
        return await connect(ws_base + args.path, compression=None, max_size=None)
    negotiated = await http.post(f"{args.url}/api/rm/negotiate?negotiateVersion=1", headers=headers)
    negotiated.raise_for_status()
    token = negotiated.json()["connectionToken"]
    socket = await connect(
        f"{ws_base}/api/rm?id={token}", additional_headers=headers, compression=None, max_size=None
    )
    await socket.send('{"protocol":"json","version":1}' + RS)
    reply = await socket.recv()
    if reply != "{}" + RS:
        raise RuntimeError(f"handshake refused: {reply!r}")
    return socket


async def _listen(socket: ClientConnection, tally: Tally) -> None:
    async for message in socket:
        text = message if isinstance(message, str) else message.decode()
        pushes = text.count(PUSH)
        if pushes and tally.sample is None:
            tally.sample = text
        tally.received += pushes


def _stdin_lines(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None]) -> None:
    for line in sys.stdin:
        loop.call_soon_threadsafe(queue.put_nowait, line.strip())
    loop.call_soon_threadsafe(queue.put_nowait, None)


async def main(args: argparse.Namespace) -> None:
    headers = dict(header.split(": ", 1) for header in args.header)
    tally = Tally()
    async with httpx.AsyncClient(timeout=30) as http:
        sockets = [await _open(args, headers, http) for _ in range(args.count)]
    listeners = [asyncio.create_task(_listen(socket, tally)) for socket in sockets]
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    threading.Thread(target=_stdin_lines, args=(asyncio.get_running_loop(), queue), daemon=True).start()
    print("READY", flush=True)
    while (command := await queue.get()) is not None:
        if command == "COUNT":
            print(json.dumps({"received": tally.received, "sample": tally.sample}), flush=True)
    for socket in sockets:
        await socket.close()
    for listener in listeners:
        listener.cancel()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the server's base URL, http://host:port")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--signalr", action="store_true", help="negotiate and handshake as on the Amove hub")
    parser.add_argument("--path", default="/ws", help="the WebSocket path without --signalr")
    parser.add_argument(
        "--header", action="append", default=[], help="'Name: value', on negotiate and upgrade"
    )
    asyncio.run(main(parser.parse_args()))
