"""The `/api/rm` SignalR hub: negotiate and the WebSocket transport, built on the sans-I/O protocol
package (`emulators.amove.signalr`); this module only moves bytes between a socket and it.

- `POST /api/rm/negotiate[?negotiateVersion=1]`: a new connection (v0 or v1 document, WebSockets
  with `["Text","Binary"]`); 401 without a JWT (`Authorization: Bearer` or `access_token`).
- `GET /api/rm?id=...` upgraded: the JWT again (401 denial otherwise), the connection id or token
  (404 unknown, 409 in use; none at all is a fresh connection), then the handshake (JSON or
  MessagePack, version 0 or 1), answered as its own frame.
- Pushes: every transfer of the caller's Amove account, as `Invocation(target, [payload])` (scenario
  `hub`), at the interval and on every status change, through the World's subscribers; a Ping every
  15 s of the World's clock, and with a manual clock every 15 real seconds too. Client invocations
  get a Completion (the hub has no methods, so an error naming the method), Pings are ignored, a
  Close ends the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from emulators.amove import auth
from emulators.amove.errors import Unauthorized
from emulators.amove.progress import push_running, topic
from emulators.amove.signalr import (
    Close,
    Connection,
    HubMessage,
    HubMethod,
    HubProtocol,
    Invocation,
    KeepAlive,
    MessageDecoder,
    Ping,
    ProtocolError,
    Refusal,
    StreamInvocation,
    Transport,
    hub_reply,
    read_handshake,
)
from emulators.amove.store import AmoveStore, User
from emulators.core.host import world_of
from emulators.core.tokens import TokenRejected, find_token

KEEP_ALIVE = KeepAlive()
REAL_TIME_PING_SECONDS = KEEP_ALIVE.ping_interval
TRANSPORTS = (Transport.WEB_SOCKETS,)
METHODS: dict[str, HubMethod] = {}  # the public docs name no hub method a client may call


def _user(store: AmoveStore, connection: Request | WebSocket, now: datetime) -> User:
    try:
        found = find_token(connection.scope, ["bearer", "access_token"])
    except TokenRejected:
        found = None
    return auth.user_of(store, found[1] if found else None, now)


async def negotiate(request: Request) -> Response:
    """POST /api/rm/negotiate — reference, C1."""
    store = world_of(request).store(AmoveStore)
    _user(store, request, store.world.catch_up())
    document = store.hub.negotiate(request.query_params.get("negotiateVersion"), TRANSPORTS)
    return JSONResponse(document)


@dataclass(eq=False)
class _Listener:
    """One hub connection as a subscriber: transfer payloads become invocations of the target."""

    websocket: WebSocket
    protocol: HubProtocol
    target: str
    closed: bool = field(default=False)

    async def deliver(self, message: object) -> None:
        if self.closed:
            return
        hub_message = message if isinstance(message, (Ping, Close)) else Invocation(self.target, [message])
        await self.send(hub_message)

    async def send(self, message: HubMessage) -> None:
        data = self.protocol.encode(message)
        if self.protocol.transfer_format == "Text":
            await self.websocket.send_text(data.decode())
        else:
            await self.websocket.send_bytes(data)


async def _receive(websocket: WebSocket) -> bytes | None:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        return None
    text = message.get("text")
    return text.encode() if text is not None else bytes(message.get("bytes") or b"")


async def hub(websocket: WebSocket) -> None:
    """GET /api/rm (WebSocket) — reference, C2 to C5."""
    store = world_of(websocket).store(AmoveStore)
    world = store.world
    try:
        user = _user(store, websocket, world.catch_up())
    except Unauthorized:
        await websocket.send_denial_response(Response(status_code=401))
        return
    held = store.hub.attach(websocket.query_params.get("id"), Transport.WEB_SOCKETS)
    if isinstance(held, Refusal):
        await websocket.send_denial_response(PlainTextResponse(held.reason, status_code=held.status))
        return
    await websocket.accept()
    try:
        await _serve(store, user, websocket, held)
    except WebSocketDisconnect:
        pass
    finally:
        store.hub.close(held)


async def _serve(store: AmoveStore, user: User, websocket: WebSocket, connection: Connection) -> None:
    received = b""
    while (handshake := read_handshake(received)) is None:  # the server sends nothing before it
        data = await _receive(websocket)
        if data is None:
            return
        received += data
    await websocket.send_text(handshake.reply.decode())
    if handshake.protocol is None:
        await websocket.close()
        return
    listener = _Listener(websocket, handshake.protocol, store.section.hub.target)
    world = store.world
    own: Hashable = ("amove hub", connection.connection_id)  # this connection's pings and ticks
    subscriptions = [
        world.subscribers.add(topic(user.account_id), listener),
        world.subscribers.add(own, listener),
    ]
    now = world.catch_up()
    timers = [
        world.timers.every(
            KEEP_ALIVE.ping_interval, lambda at: world.publish(own, Ping(), at), KEEP_ALIVE.next_ping(now)
        ),
        world.timers.every(store.section.hub.interval, push_running(store, user.account_id, own), now),
    ]
    # A manual clock may stand still longer than a client waits for a sign of life (the JavaScript
    # client gives up after 30 s): then Pings also go out on the real clock.
    idle = asyncio.create_task(_real_time_pings(listener)) if world.clock.mode == "manual" else None
    try:
        await _converse(listener, handshake.protocol.decoder(), handshake.remainder)
    finally:
        listener.closed = True
        if idle is not None:
            idle.cancel()
        for timer in timers:
            timer.cancel()
        for subscription in subscriptions:
            subscription.cancel()


async def _real_time_pings(listener: _Listener) -> None:
    while not listener.closed:
        await asyncio.sleep(REAL_TIME_PING_SECONDS)
        with contextlib.suppress(Exception):  # the socket closed meanwhile: the hub loop ends it
            await listener.deliver(Ping())


async def _converse(listener: _Listener, decoder: MessageDecoder, first: bytes) -> None:
    """Answer the client's messages until it closes (a Close message or the socket)."""
    data: bytes | None = first
    while data is not None:
        try:
            messages = decoder.read(data) if data else []
        except ProtocolError as error:
            await listener.send(error.close_message())
            await listener.websocket.close()
            return
        for message in messages:
            if isinstance(message, Close):
                await listener.websocket.close()
                return
            if isinstance(message, (Invocation, StreamInvocation)):
                reply = hub_reply(message, METHODS)
                if reply is not None:
                    await listener.send(reply)
        data = await _receive(listener.websocket)


ROUTES = [
    Route("/negotiate", negotiate, methods=["POST"], name="negotiate"),
    WebSocketRoute("/", hub, name="hub"),
]
