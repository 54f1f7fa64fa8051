"""The request journal: a bounded record of what clients sent and what they got.

`Journal` is a ring buffer (oldest entries drop out) of `JournalEntry`s. `record_request` is the ASGI
middleware that fills it; it sits outside the fault rules so it can note which rule fired (the
`emulator.fault` scope key), and it hands each answered request's entry to the metrics. It records
WebSocket connections too: the handshake (101 when accepted, else the status the client got) and a
bounded excerpt of the messages each way. The outbox records the requests the emulator itself sends
(callbacks, webhooks) as `outbound` entries, with the target URL and the status or error. A request
that announces a body has its excerpt read before the service runs (and handed on unchanged), so it
is kept even when the service answers without reading it; the body of a GET, HEAD or OPTIONS request
is not kept.
Secrets never leave the journal: credentials in headers, query strings and form or JSON bodies are
masked whenever an entry is read.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import urlsplit

from pydantic import Field

from emulators.core.service import noting_status
from emulators.core.spec import Spec
from emulators.core.types import (
    FAULT_KEY,
    SERVICE_KEY,
    STATUS_KEY,
    WORLD_KEY,
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
)

if TYPE_CHECKING:
    from emulators.core.host import Host

TALLY_EVERY = 256
"""Answered requests left waiting in `Metrics.answered` before they are counted, at most: counting a
batch costs less than counting each one (they are also counted whenever the metrics are read)."""

# Every header any emulated service (or a client of one) carries a credential in.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "cookie2",
        "set-cookie",
        "x-api-key",
        "x-auth-token",
        "macaroon",
        "x-onedata-consumer-token",
        "x-amz-security-token",
        "x-ms-encryption-key",
    }
)
# Any field whose name ends in one of these words (client_secret, client-secret, id_token, sig, ...).
_SECRET_FIELDS = r"([\w-]*(?:secret|password|token|sig))"
# A form field, also URL-encoded inside another value (`...%3Fsv%3D1%26sig%3Dabc`) or with its `=`
# escaped in JSON (`sig\u003dabc`): its value runs to the next `&`, `%26`, `\u0026`, space or quote.
_FORM_SECRET = re.compile(rf"""(?i)(\b{_SECRET_FIELDS}(?:=|%3D|\\u003d))(?:(?!%26|\\u0026)[^&\s"\\])*""")
_SECRET_NAME = re.compile(rf"(?i){_SECRET_FIELDS}")
_JSON_SECRET = re.compile(rf'(?i)("{_SECRET_FIELDS}"\s*:\s*")(?:[^"\\]|\\.)*')
MASK = "***"


class JournalSpec(Spec):
    """Journal settings (scenario `journal:`)."""

    size: int = Field(default=1000, ge=0, le=1_000_000, description="entries kept; 0 turns the journal off")
    body_excerpt: int = Field(default=2048, ge=0, le=1_048_576, description="bytes of each body kept")


Recorded = tuple[
    int,
    datetime,
    str | None,
    str,
    str,
    bytes,
    Sequence[tuple[bytes, bytes]],
    bytes,
    int | None,
    str | None,
    float,
    object,
]
"""What the journal keeps of an answered HTTP request: `JournalEntry`'s first fields, in order, as a
plain tuple. A tuple takes a fraction of an entry's time to make, most are never read, and one that
is read becomes an entry then (`JournalEntry.of`)."""
RECORDED = (
    *("id", "at", "service", "method", "path", "raw_query", "raw_headers", "raw_body"),
    *("status", "fault", "seconds", "endpoint"),
)
# Where the metrics find what they count in a record.
SERVICE: Final = 2
METHOD: Final = 3
STATUS: Final = 8
FAULT: Final = 9
ENDPOINT: Final = 11


@dataclass(slots=True)
class JournalEntry:
    """One request as the emulator saw it.

    Recording is on the hot path, so an entry keeps what the request already holds: the headers as
    the server parsed them (the scope's own list of byte pairs, neither copied nor joined), the raw
    query and body bytes, the duration as one number. The masked, decoded views are made only when
    someone reads the entry.
    """

    id: int
    at: datetime
    service: str | None
    method: str
    path: str
    raw_query: bytes
    raw_headers: Sequence[tuple[bytes, bytes]]  # (name, value) pairs
    raw_body: bytes = b""
    status: int | None = None
    fault: str | None = None
    seconds: float = 0.0
    endpoint: object = None  # the handler that answered, which the metrics name the route after
    direction: str = "inbound"  # or "outbound": a request the emulator sent
    url: str | None = None  # the target of an outbound request
    error: str | None = None  # why an outbound request got no answer
    raw_sent: bytes = b""  # WebSocket: the messages the server sent, one per line

    @classmethod
    def of(cls, kept: JournalEntry | Recorded) -> JournalEntry:
        """The entry for what the journal kept: an entry, or an answered request's record."""
        return kept if isinstance(kept, JournalEntry) else cls(*kept)

    def record(self) -> Recorded:
        """The entry as the record the metrics count (the fields `RECORDED` names)."""
        return cast(Recorded, tuple(getattr(self, name) for name in RECORDED))

    @property
    def time(self) -> str:
        return self.at.isoformat()

    @property
    def query(self) -> str:
        return mask_body(self.raw_query.decode("latin-1"))

    @property
    def headers(self) -> dict[str, str]:
        return mask_headers(self.raw_headers)

    @property
    def body(self) -> str:
        return mask_body(self.raw_body.decode("utf-8", errors="replace"))

    @property
    def sent(self) -> str:
        return mask_body(self.raw_sent.decode("utf-8", errors="replace"))

    @property
    def duration_ms(self) -> float:
        return round(self.seconds * 1000, 3)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time,
            "service": self.service,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "status": self.status,
            "fault": self.fault,
            "duration_ms": self.duration_ms,
            "direction": self.direction,
            "url": self.url,
            "error": self.error,
            "sent": self.sent,
        }


def mask_headers(headers: Sequence[tuple[bytes, bytes]]) -> dict[str, str]:
    """Headers as a dict, with credentials replaced by their scheme and a mask."""
    out: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        if name in SECRET_HEADERS:
            # Only credentials carry a scheme worth keeping; the first word of a cookie is a secret.
            scheme = value.split(" ", 1)[0] if " " in value and name.endswith("authorization") else ""
            value = f"{scheme} {MASK}".strip()
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def mask_body(text: str) -> str:
    """A body excerpt with secret form fields and JSON fields masked.

    Patterns mask form fields and JSON string fields while keeping the text as it was sent; a body
    that parses as JSON is also walked, so a secret field whose value is not a string (a number, a
    list) is masked too, by structure.
    """
    masked = _JSON_SECRET.sub(rf"\g<1>{MASK}", _FORM_SECRET.sub(rf"\g<1>{MASK}", text))
    if masked[:1] not in ("{", "["):
        return masked
    try:
        document = json.loads(masked)
    except (ValueError, RecursionError):
        return masked  # an excerpt cut short, or not JSON: the patterns did what can be done
    walked, changed = _mask_json(document)
    return json.dumps(walked, ensure_ascii=False) if changed else masked


def _mask_json(value: Any, depth: int = 0) -> tuple[Any, bool]:
    """`value` with every secret-named field masked whatever its type; whether anything changed."""
    if depth > 64:
        return value, False
    if isinstance(value, dict):
        changed = False
        out = {}
        for key, item in value.items():
            if _SECRET_NAME.fullmatch(key) and item != MASK:
                out[key], changed = MASK, True
            else:
                out[key], inner = _mask_json(item, depth + 1)
                changed = changed or inner
        return out, changed
    if isinstance(value, list):
        items = [_mask_json(item, depth + 1) for item in value]
        return [item for item, _ in items], any(inner for _, inner in items)
    return value, False


class Journal:
    """A ring buffer of journal entries: answered HTTP requests as records (`Recorded`), filled in by
    `record_request` once answered; WebSocket connections and outbound requests as entries, opened
    when they start and filled in as they go."""

    def __init__(self, spec: JournalSpec) -> None:
        self.spec = spec
        self._entries: deque[JournalEntry | Recorded] = deque(maxlen=spec.size)
        self._ids = itertools.count(1)

    def open(self, at: datetime, service: str | None, scope: Scope) -> JournalEntry:
        """A new entry for the connection or request in `scope`; the caller fills in what happened."""
        entry = JournalEntry(
            next(self._ids),
            at,
            service,
            scope.get("method", "GET"),  # a WebSocket handshake is a GET
            scope["path"],
            scope.get("query_string", b""),
            scope["headers"],
        )
        self._entries.append(entry)
        return entry

    def outbound(
        self,
        at: datetime,
        service: str | None,
        method: str,
        url: str,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
    ) -> JournalEntry:
        """A new entry for a request the emulator sends; the caller fills in the answer or error."""
        parts = urlsplit(url)
        entry = JournalEntry(
            next(self._ids),
            at,
            service,
            method,
            parts.path or "/",
            parts.query.encode("latin-1", "replace"),
            headers,
            body[: self.spec.body_excerpt],
            direction="outbound",
            url=url,
        )
        if self.spec.size:
            self._entries.append(entry)
        return entry

    def __iter__(self) -> Iterator[JournalEntry]:
        return map(JournalEntry.of, list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def last(self) -> JournalEntry | None:
        """The newest entry, if any."""
        return JournalEntry.of(self._entries[-1]) if self._entries else None

    def clear(self) -> None:
        self._entries.clear()

    def select(
        self,
        service: str | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
    ) -> list[JournalEntry]:
        """Entries matching every filter given; `path` matches as a prefix."""
        return [
            e
            for e in self
            if (service is None or e.service == service)
            and (method is None or e.method == method.upper())
            and (path is None or e.path.startswith(path))
            and (status is None or e.status == status)
        ]


def _service(scope: Scope, host: Host) -> str | None:
    """The service the app's dispatcher found for this request (or, without one, by the path)."""
    return scope[SERVICE_KEY] if SERVICE_KEY in scope else host.service_for(scope["path"])


class record_request:  # a pipeline step, named as a verb like the other steps
    """ASGI middleware: journal every data-plane request of the current World.

    The status comes from the app's own note in the scope when the app takes notes
    (`notes_status`, as a service's sub-app does); otherwise `send` is wrapped to see it. Status
    reads are the hot path: under a real server each step per request costs several times what it
    costs in process, so an HTTP request takes as few as can be.
    """

    def __init__(self, app: ASGIApp, host: Host) -> None:
        self.app = app
        self.host = host
        self._notes_status = getattr(app, "notes_status", False)
        self._metrics = host.metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        world = scope.get(WORLD_KEY) or self.host.world
        journal = world.journal
        if scope["type"] != "http" or not journal.spec.size:
            # `journal: {size: 0}` turns the journal off, and with it all of its cost.
            if scope["type"] == "websocket" and journal.spec.size:
                await self._websocket(scope, receive, send, journal, world.clock.now())
            else:
                await self.app(scope, receive, send)
            return
        at = world.clock.now()
        started = time.perf_counter()
        body = b""
        try:
            if scope["method"] not in _WITHOUT_BODY and journal.spec.body_excerpt and _announces_body(scope):
                receive, body = await _read_excerpt(receive, journal.spec.body_excerpt)
            if self._notes_status:
                await self.app(scope, receive, send)
            else:
                await self.app(scope, receive, noting_status(send, scope))
        finally:
            # The record is made here rather than by a Journal method: one call fewer per request.
            record = (
                next(journal._ids),
                at,
                _service(scope, self.host),
                scope["method"],
                scope["path"],
                scope.get("query_string", b""),
                scope["headers"],
                body,
                scope.get(STATUS_KEY),
                scope.get(FAULT_KEY),
                time.perf_counter() - started,
                scope.get("endpoint"),
            )
            journal._entries.append(record)
            self._answered(record)

    async def _websocket(
        self, scope: Scope, receive: Receive, send: Send, journal: Journal, at: datetime
    ) -> None:
        entry = journal.open(at, _service(scope, self.host), scope)
        await _record_websocket(self.app, scope, receive, send, entry, journal.spec.body_excerpt)
        entry.endpoint = scope.get("endpoint")
        self._answered(entry.record())

    def _answered(self, record: Recorded) -> None:
        """Hand an answered request to the metrics and the console."""
        answered = self._metrics.answered
        answered.append(record)
        if len(answered) >= TALLY_EVERY:
            self._metrics.tally()
        if self.host.console is not None:
            self.host.console(JournalEntry.of(record))


_ACCEPTED = 101  # a WebSocket handshake the server accepted (Switching Protocols)
_REFUSED = 403  # a handshake closed before it was accepted: what the client sees


async def _record_websocket(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, entry: JournalEntry, limit: int
) -> None:
    """Run a WebSocket connection, noting the handshake's outcome and the messages each way."""
    started = time.perf_counter()

    async def receive_noted() -> Message:
        message = await receive()
        if message["type"] == "websocket.receive" and len(entry.raw_body) < limit:
            entry.raw_body = _excerpt(entry.raw_body, message, limit)
        return message

    async def send_noted(message: Message) -> None:
        kind = message["type"]
        if kind == "websocket.accept":
            entry.status = _ACCEPTED
        elif kind == "websocket.http.response.start":
            entry.status = message["status"]
        elif kind == "websocket.close" and entry.status is None:
            entry.status = _REFUSED
        elif kind == "websocket.send" and len(entry.raw_sent) < limit:
            entry.raw_sent = _excerpt(entry.raw_sent, message, limit)
        await send(message)

    try:
        await app(scope, receive_noted, send_noted)
    finally:
        entry.seconds = time.perf_counter() - started
        entry.fault = scope.get(FAULT_KEY)


def _excerpt(kept: bytes, message: Message, limit: int) -> bytes:
    """`kept` with one more WebSocket message on its own line, cut at `limit` bytes."""
    data = message.get("bytes") or (message.get("text") or "").encode("utf-8", "replace")
    return (kept + (b"\n" if kept else b"") + data)[:limit]


# These APIs give a body no meaning on these methods, and status reads are the hot path: not kept.
_WITHOUT_BODY = frozenset({"GET", "HEAD", "OPTIONS"})


def _announces_body(scope: Scope) -> bool:
    """Whether the request says a body follows (a GET without one takes no extra step)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return bool(value.strip(b" 0"))  # a length of zero announces no body
        if name == b"transfer-encoding":
            return True
    return False


async def _read_excerpt(receive: Receive, limit: int) -> tuple[Receive, bytes]:
    """Read the body's first messages before the app runs: a `receive` that hands the app those same
    messages, then the rest, and the first `limit` bytes of the body.

    The excerpt is read first because a service may answer without reading the body (a request
    without credentials, say), and that is the request someone wants to see.
    """
    read: deque[Message] = deque()
    excerpt = b""
    while len(excerpt) < limit:
        message = await receive()
        read.append(message)
        if message["type"] != "http.request":
            break
        excerpt += message.get("body", b"")[: limit - len(excerpt)]
        if not message.get("more_body", False):
            break

    async def receive_again() -> Message:
        return read.popleft() if read else await receive()

    return receive_again, excerpt
