"""The `/api/rm` SignalR hub: negotiate and its three transports, built on the sans-I/O protocol
package (`emulators.amove.signalr`); this module only moves bytes between HTTP and it.

- `POST /api/rm/negotiate[?negotiateVersion=1]`: a new connection (v0 or v1 document listing
  WebSockets, ServerSentEvents and LongPolling); 401 without a JWT (`Authorization: Bearer` or
  `access_token`).
- `GET /api/rm?id=...` upgraded (WebSockets): the JWT again (401 denial otherwise), the connection
  id or token (404 unknown, 409 in use; none at all is a fresh connection), then the handshake
  (JSON or MessagePack, version 0 or 1), answered as its own frame.
- `GET /api/rm?id=...` with `Accept: text/event-stream` (Server-Sent Events): the hub's messages as
  events until either side ends; JSON only.
- `GET /api/rm?id=...` otherwise (Long Polling): the first poll answers at once; later ones take
  what is waiting, or wait for it until the poll timeout (90 s of the World's clock, and at most
  90 real seconds).
- `POST /api/rm?id=...`: the client's bytes for a Server-Sent Events or Long Polling connection
  (the handshake, then hub messages); 200 once they are read. `DELETE /api/rm?id=...` ends a Long
  Polling connection (202). Refusals are plain text with the ASP.NET Core server's status.
- Every transport serves the same `_Session`, which is the connection's subscriber in the World:
  every transfer of the caller's Amove account, as `Invocation(target, [payload])` (scenario `hub`),
  at the interval and on every status change; a Ping every 15 s of the World's clock, and with a
  manual clock every 15 real seconds too (not to pollers: polling needs none). Client invocations
  get a Completion (the hub has no methods, so an error naming the method), Pings are ignored, a
  Close ends the connection, a malformed message gets a Close with the error and ends it.
- A connection no request holds (negotiated and never used, or between two polls) is forgotten
  after 15 real seconds: that measures the client, not the emulated service, so it is not on the
  World's clock (an advance of minutes must not drop a poller that simply had no time to poll).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Hashable
from datetime import timedelta
from typing import Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from emulators.amove import auth
from emulators.amove.errors import Unauthorized
from emulators.amove.progress import push_running, topic
from emulators.amove.signalr import (
    ALL_TRANSPORTS,
    Close,
    Connection,
    ConnectionRegistry,
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
    TransferFormat,
    Transport,
    hub_reply,
    long_polling,
    read_handshake,
    server_sent_events,
)
from emulators.amove.signalr.connections import DISCONNECT_TIMEOUT
from emulators.amove.store import AmoveStore, User
from emulators.core.host import world_of
from emulators.core.timers import Timer
from emulators.core.tokens import TokenRejected, find_token
from emulators.core.types import Receive, Scope, Send

KEEP_ALIVE = KeepAlive()
# The bounds on the real clock (tests shorten them): Pings with a manual clock, a poll's wait, and
# how long a connection no request holds is kept.
REAL_TIME_PING_SECONDS = KEEP_ALIVE.ping_interval
REAL_POLL_SECONDS = long_polling.POLL_TIMEOUT
IDLE_SECONDS = DISCONNECT_TIMEOUT
METHODS: dict[str, HubMethod] = {}  # the public docs name no hub method a client may call


def _user(store: AmoveStore, connection: Request | WebSocket) -> User:
    try:
        found = find_token(connection.scope, ["bearer", "access_token"])
    except TokenRejected:
        found = None
    return auth.user_of(store, found[1] if found else None, store.world.catch_up())


def _refused(refusal: Refusal, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(refusal.reason, status_code=refusal.status, headers=headers)


def _expire_when_idle(registry: ConnectionRegistry, connection: Connection, mark: int) -> None:
    """Forget the connection if no request holds it within the disconnect timeout (real seconds)."""

    def expire() -> None:
        if registry.expire(connection, mark) and isinstance(connection.session, _Session):
            connection.session.finish()

    asyncio.get_running_loop().call_later(IDLE_SECONDS, expire)


async def negotiate(request: Request) -> Response:
    """POST /api/rm/negotiate — reference, C1."""
    store = world_of(request).store(AmoveStore)
    _user(store, request)
    document = store.hub.negotiate(request.query_params.get("negotiateVersion"), ALL_TRANSPORTS)
    connection = store.hub.find(str(document.get("connectionId", "")))
    if connection is not None:
        _expire_when_idle(store.hub, connection, connection.idle_mark)
    return JSONResponse(document)


class _PushFrames:
    """The frame last encoded for a push, per hub protocol and target.

    A push reaches every subscriber in turn with the same payload object, so encoding it once per
    protocol, not once per connection, is what makes 200 subscribers cheap; the frame carries no
    per-connection part (pushes have no invocation id).
    """

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], tuple[object, bytes]] = {}

    def frame(self, payload: object, target: str, protocol: HubProtocol) -> bytes:
        key = (protocol.name, target)
        last = self._last.get(key)
        if last is not None and last[0] is payload:
            return last[1]
        data = protocol.encode(Invocation(target, [payload]))
        self._last[key] = (payload, data)
        return data


_PUSH_FRAMES = _PushFrames()


class _Writer(Protocol):
    """Where a session's bytes go: a transport's way to the client."""

    async def write(self, data: bytes, *, text: bool) -> None: ...

    async def close(self) -> None: ...


class _Session:
    """One hub connection's conversation, whatever transport carries it: the handshake, then the
    client's messages in and the hub's out. It is the connection's subscriber in the World."""

    def __init__(
        self,
        store: AmoveStore,
        user: User,
        connection: Connection,
        writer: _Writer,
        formats: tuple[TransferFormat, ...] = ("Text", "Binary"),
        *,
        pings: bool = True,
    ) -> None:
        self.store, self.user, self.connection, self.writer = store, user, connection, writer
        self.formats = formats
        self.pings = pings
        self.ended = False
        self.sending = asyncio.Lock()  # one HTTP POST at a time, as the real server reads them
        self._received = b""
        self._protocol: HubProtocol | None = None
        self._decoder: MessageDecoder | None = None
        self._cleanup: list[Callable[[], object]] = []

    async def receive(self, data: bytes) -> None:
        """Take the client's next bytes: a frame, a POST body or a piece of one."""
        if self.ended:
            return
        if self._decoder is None:
            self._received += data
            handshake = read_handshake(self._received, transfer_formats=self.formats)
            if handshake is None:  # the server sends nothing before the whole request
                return
            await self.writer.write(handshake.reply, text=True)
            if handshake.protocol is None:
                await self.end()
                return
            self._start(handshake.protocol)
            data = handshake.remainder
        assert self._decoder is not None
        try:
            messages = self._decoder.read(data) if data else []
        except ProtocolError as error:
            await self.send(error.close_message())
            await self.end()
            return
        for message in messages:
            if isinstance(message, Close):
                await self.end()
                return
            if isinstance(message, (Invocation, StreamInvocation)):
                reply = hub_reply(message, METHODS)
                if reply is not None:
                    await self.send(reply)

    async def deliver(self, message: object) -> None:
        """A push from the World: a transfer payload becomes an invocation of the target."""
        if self.ended:
            return
        if isinstance(message, (Ping, Close)):
            await self.send(message)
            return
        assert self._protocol is not None
        data = _PUSH_FRAMES.frame(message, self._target, self._protocol)
        await self.writer.write(data, text=self._protocol.transfer_format == "Text")

    async def send(self, message: HubMessage) -> None:
        assert self._protocol is not None
        data = self._protocol.encode(message)
        await self.writer.write(data, text=self._protocol.transfer_format == "Text")

    async def end(self) -> None:
        """The hub ends the connection: no more messages either way, and the transport closes."""
        self.finish()
        await self.writer.close()

    def finish(self) -> None:
        """Stop hearing pushes and ticking (the transport has gone, or `end` closes it)."""
        self.ended = True
        for cleanup in self._cleanup:
            cleanup()
        self._cleanup.clear()

    @property
    def _target(self) -> str:
        return self.store.section.hub.target

    def _start(self, protocol: HubProtocol) -> None:
        """The handshake is done: subscribe to the account's transfers and start the timers."""
        self._protocol, self._decoder = protocol, protocol.decoder()
        world, account = self.store.world, self.user.account_id
        own: Hashable = ("amove hub", self.connection.connection_id)  # this connection's pings and ticks
        subscriptions = [world.subscribers.add(topic(account), self), world.subscribers.add(own, self)]
        now = world.catch_up()
        timers: list[Timer] = [
            world.timers.every(self.store.section.hub.interval, push_running(self.store, account, own), now)
        ]
        if self.pings:
            interval, first = KEEP_ALIVE.ping_interval, KEEP_ALIVE.next_ping(now)
            timers.append(world.timers.every(interval, lambda at: world.publish(own, Ping(), at), first))
            # A manual clock may stand still longer than a client waits for a sign of life (the
            # JavaScript client gives up after 30 s): then Pings also go out on the real clock.
            if world.clock.mode == "manual":
                self._cleanup.append(asyncio.create_task(self._real_time_pings()).cancel)
        self._cleanup += [s.cancel for s in subscriptions] + [t.cancel for t in timers]

    async def _real_time_pings(self) -> None:
        while not self.ended:
            await asyncio.sleep(REAL_TIME_PING_SECONDS)
            with contextlib.suppress(Exception):  # the transport closed meanwhile: its handler ends it
                await self.deliver(Ping())


# -- WebSockets ----------------------------------------------------------------------------------


class _WebSocketWriter:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket

    async def write(self, data: bytes, *, text: bool) -> None:
        if text:
            await self.websocket.send_text(data.decode())
        else:
            await self.websocket.send_bytes(data)

    async def close(self) -> None:
        await self.websocket.close()


async def _receive(websocket: WebSocket) -> bytes | None:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        return None
    text = message.get("text")
    return text.encode() if text is not None else bytes(message.get("bytes") or b"")


async def hub(websocket: WebSocket) -> None:
    """GET /api/rm (WebSocket) — reference, C2 to C5."""
    store = world_of(websocket).store(AmoveStore)
    try:
        user = _user(store, websocket)
    except Unauthorized:
        await websocket.send_denial_response(Response(status_code=401))
        return
    held = store.hub.attach(websocket.query_params.get("id"), Transport.WEB_SOCKETS)
    if isinstance(held, Refusal):
        await websocket.send_denial_response(_refused(held))
        return
    await websocket.accept()
    session = _Session(store, user, held, _WebSocketWriter(websocket))
    try:
        while not session.ended and (data := await _receive(websocket)) is not None:
            await session.receive(data)
    except WebSocketDisconnect:
        pass
    finally:
        session.finish()
        store.hub.close(held)


# -- Server-Sent Events --------------------------------------------------------------------------


class _EventStream(Response):
    """The Server-Sent Events response: the session's writes as events, until the session ends or
    the client goes away; then the connection is over."""

    def __init__(self, store: AmoveStore, user: User, connection: Connection) -> None:
        self.status_code = 200
        self.background = None
        # The content type without the charset Starlette would add: as the real server sends it.
        self.init_headers({"Content-Type": server_sent_events.CONTENT_TYPE, **server_sent_events.HEADERS})
        self._events: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.session = _Session(store, user, connection, self, ("Text",))
        connection.session = self.session

    async def write(self, data: bytes, *, text: bool) -> None:
        self._events.put_nowait(server_sent_events.event(data))  # sent in order by `_pump`

    async def close(self) -> None:
        self._events.put_nowait(None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        session = self.session
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": server_sent_events.OPENING, "more_body": True})
        await session.receive(session.connection.take_held())
        tasks = [asyncio.create_task(self._pump(send)), asyncio.create_task(_disconnected(receive))]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            session.finish()
            session.store.hub.close(session.connection)
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _pump(self, send: Send) -> None:
        while (data := await self._events.get()) is not None:
            await send({"type": "http.response.body", "body": data, "more_body": True})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


# -- Long Polling --------------------------------------------------------------------------------


class _Polls:
    """A Long Polling connection's outgoing side: the queue the session writes to, and the polls
    waiting on it."""

    def __init__(self) -> None:
        self.queue = long_polling.PollQueue()
        self._waiting: set[asyncio.Event] = set()

    async def write(self, data: bytes, *, text: bool) -> None:
        self.queue.write(data)
        self.wake()

    async def close(self) -> None:
        self.queue.close()
        self.wake()

    def wake(self) -> None:
        for waiting in self._waiting:
            waiting.set()

    async def wait(self, store: AmoveStore, poll: int) -> long_polling.PollAnswer:
        """Hold the poll until something changes or the poll timeout passes, then answer it."""
        woken = asyncio.Event()
        world = store.world
        timeout = timedelta(seconds=long_polling.POLL_TIMEOUT)
        timer = world.timers.at(world.catch_up() + timeout, lambda at: woken.set())
        self._waiting.add(woken)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), REAL_POLL_SECONDS)
        finally:
            self._waiting.discard(woken)
            timer.cancel()
        return self.queue.answer(poll)


async def _poll(store: AmoveStore, user: User, connection: Connection) -> Response:
    polls = connection.session.writer if isinstance(connection.session, _Session) else None
    if not isinstance(polls, _Polls):  # the first poll starts the connection's session
        polls = _Polls()
        session = connection.session = _Session(store, user, connection, polls, pings=False)
        await session.receive(connection.take_held())
    poll, answer = polls.queue.begin()
    polls.wake()  # a poll still waiting has been replaced: it ends with 204
    if answer is None:
        answer = await polls.wait(store, poll)
    if polls.queue.is_current(poll):
        if polls.queue.finished:
            store.hub.close(connection)
        else:
            _expire_when_idle(store.hub, connection, store.hub.release(connection))
    return Response(
        answer.body, status_code=answer.status, media_type=answer.media_type, headers=long_polling.NO_CACHE
    )


# -- the HTTP requests at /api/rm ----------------------------------------------------------------


async def stream_or_poll(request: Request) -> Response:
    """GET /api/rm without an upgrade — Server-Sent Events or Long Polling."""
    store = world_of(request).store(AmoveStore)
    user = _user(store, request)
    events = server_sent_events.asks_for_events(request.headers.get("accept"))
    transport = Transport.SERVER_SENT_EVENTS if events else Transport.LONG_POLLING
    held = store.hub.attach(request.query_params.get("id"), transport)
    if isinstance(held, Refusal):
        return _refused(held, None if events else long_polling.NO_CACHE)
    if events:
        return _EventStream(store, user, held)
    return await _poll(store, user, held)


async def send(request: Request) -> Response:
    """POST /api/rm — the client's bytes for a Server-Sent Events or Long Polling connection."""
    store = world_of(request).store(AmoveStore)
    _user(store, request)
    held = store.hub.sender(request.query_params.get("id"))
    if isinstance(held, Refusal):
        return _refused(held)
    session = held.session
    if not isinstance(session, _Session):  # no transport yet: the bytes wait for it
        async for chunk in request.stream():
            if not held.keep(chunk):
                return PlainTextResponse("Too much data before the transport started.", status_code=413)
        return PlainTextResponse("")
    async with session.sending:
        if session.ended:
            return _refused(Refusal(404, ""))  # the connection ended while this POST waited
        async for chunk in request.stream():
            await session.receive(chunk)
            if session.ended:
                break
    return PlainTextResponse("")


async def terminate(request: Request) -> Response:
    """DELETE /api/rm — end a Long Polling connection; its waiting poll gets 204."""
    store = world_of(request).store(AmoveStore)
    _user(store, request)
    held = store.hub.terminator(request.query_params.get("id"))
    if isinstance(held, Refusal):
        return _refused(held)
    store.hub.close(held)
    session = held.session
    if isinstance(session, _Session) and isinstance(session.writer, _Polls):
        session.finish()
        session.writer.queue.terminate()
        session.writer.wake()
    return PlainTextResponse("", status_code=202)


ROUTES = [
    Route("/negotiate", negotiate, methods=["POST"], name="negotiate"),
    WebSocketRoute("/", hub, name="hub"),
    Route("/", stream_or_poll, methods=["GET"], name="stream_or_poll"),
    Route("/", send, methods=["POST"], name="send"),
    Route("/", terminate, methods=["DELETE"], name="terminate"),
]
