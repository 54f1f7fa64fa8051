"""The request journal: a bounded record of what clients sent and what they got.

`Journal` is a ring buffer (oldest entries drop out) of `JournalEntry`s. `record_request` is the ASGI
middleware that fills it; it sits outside the fault rules so it can note which rule fired (the
`emulator.fault` scope key). It records WebSocket connections too: the handshake (101 when accepted,
else the status the client got) and a bounded excerpt of the messages each way. The outbox records
the requests the emulator itself sends (callbacks, webhooks) as `outbound` entries, with the target
URL and the status or error. A request that announces a body has its excerpt read before the service
runs (and handed on unchanged), so it is kept even when the service answers without reading it; the
body of a GET, HEAD or OPTIONS request is not kept.
Secrets never leave the journal: credentials in headers, query strings and form or JSON bodies are
masked whenever an entry is read.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import Field

from emulators.core.spec import Spec
from emulators.core.types import FAULT_KEY, SERVICE_KEY, WORLD_KEY, ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from emulators.core.host import Host

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


@dataclass(slots=True)
class JournalEntry:
    """One request as the emulator saw it.

    An entry is kept compact because a thousand of them stay alive: the request headers as one
    `name: value` block (header values cannot hold CR LF), the raw query and body bytes, the
    duration as one number. The masked, decoded views are made only when someone reads the entry.
    """

    id: int
    at: datetime
    service: str | None
    method: str
    path: str
    raw_query: bytes
    raw_headers: bytes  # b"name: value" lines joined by CR LF
    raw_body: bytes = b""
    status: int | None = None
    fault: str | None = None
    seconds: float = 0.0
    direction: str = "inbound"  # or "outbound": a request the emulator sent
    url: str | None = None  # the target of an outbound request
    error: str | None = None  # why an outbound request got no answer
    raw_sent: bytes = b""  # WebSocket: the messages the server sent, one per line

    @property
    def time(self) -> str:
        return self.at.isoformat()

    @property
    def query(self) -> str:
        return mask_body(self.raw_query.decode("latin-1"))

    @property
    def headers(self) -> dict[str, str]:
        lines = self.raw_headers.split(b"\r\n") if self.raw_headers else []
        return mask_headers([(name, value) for name, _, value in (line.partition(b": ") for line in lines)])

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


def mask_headers(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
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
    """A ring buffer of journal entries."""

    def __init__(self, spec: JournalSpec) -> None:
        self.spec = spec
        self._entries: deque[JournalEntry] = deque(maxlen=spec.size)
        self._ids = itertools.count(1)

    def open(self, at: datetime, service: str | None, scope: Scope) -> JournalEntry:
        """A new entry for the request in `scope`; the caller fills in what the answer was."""
        entry = JournalEntry(
            next(self._ids),
            at,
            service,
            scope.get("method", "GET"),  # a WebSocket handshake is a GET
            scope["path"],
            scope.get("query_string", b""),
            b"\r\n".join(map(b": ".join, scope["headers"])),
        )
        self._entries.append(entry)
        return entry

    def outbound(
        self, at: datetime, service: str | None, method: str, url: str, headers: bytes, body: bytes
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
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

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
    """ASGI middleware: journal every data-plane request of the current World."""

    def __init__(self, app: ASGIApp, host: Host) -> None:
        self.app = app
        self.host = host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        world = scope.get(WORLD_KEY) or self.host.world
        journal = world.journal
        if scope["type"] not in _RECORDED or not journal.spec.size:
            # `journal: {size: 0}` turns the journal off, and with it all of its cost.
            await self.app(scope, receive, send)
            return
        entry = journal.open(world.clock.now(), _service(scope, self.host), scope)
        if scope["type"] == "websocket":
            await _record_websocket(self.app, scope, receive, send, entry, journal.spec.body_excerpt)
            self._count(scope, entry)
            return
        started = time.perf_counter()

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
            await send(message)

        try:
            if scope["method"] not in _WITHOUT_BODY and journal.spec.body_excerpt and _announces_body(scope):
                receive = await _read_excerpt(receive, entry, journal.spec.body_excerpt)
            await self.app(scope, receive, send_and_note)
        finally:
            entry.seconds = time.perf_counter() - started
            entry.fault = scope.get(FAULT_KEY)
            self._count(scope, entry)

    def _count(self, scope: Scope, entry: JournalEntry) -> None:
        """Tell the metrics and the console about an answered request."""
        self.host.metrics.request(
            entry.service, scope.get("endpoint"), entry.method, entry.status, entry.fault
        )
        if self.host.console is not None:
            self.host.console(entry)


_RECORDED = frozenset({"http", "websocket"})
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


async def _read_excerpt(receive: Receive, entry: JournalEntry, limit: int) -> Receive:
    """Read the body's first messages into the entry before the app runs, and a `receive` that
    hands the app those same messages, then the rest.

    The excerpt is read first because a service may answer without reading the body (a request
    without credentials, say), and that is the request someone wants to see.
    """
    read: deque[Message] = deque()
    while len(entry.raw_body) < limit:
        message = await receive()
        read.append(message)
        if message["type"] != "http.request":
            break
        entry.raw_body += message.get("body", b"")[: limit - len(entry.raw_body)]
        if not message.get("more_body", False):
            break

    async def receive_again() -> Message:
        return read.popleft() if read else await receive()

    return receive_again
