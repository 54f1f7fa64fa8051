"""The request journal as an HTTP Archive (HAR 1.2), so a run's traffic opens in a browser's devtools.

`GET /_emulator/requests?format=har` answers `har_document(entries, base_url)`. Each journal entry
becomes one HAR entry with what the journal kept: the request's method, URL, headers, query and body
excerpt (credentials masked, as everywhere the journal is read), the status, the time taken and the
fault rule that fired (as the entry's `comment`). The journal does not keep response headers or
bodies, so a response carries its status and an empty `content`. A request the emulator sent itself
(a callback) is an entry whose URL is its target.
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from emulators import __version__
from emulators.core.journal import JournalEntry

HAR_VERSION = "1.2"


def _status_text(status: int | None) -> str:
    if status is None:
        return ""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _url(entry: JournalEntry, base_url: str) -> str:
    if entry.url is not None:
        return entry.url
    host = entry.headers.get("host")
    base = f"{base_url.split('://', 1)[0]}://{host}" if host else base_url.rstrip("/")
    query = entry.query
    return f"{base}{entry.path}{'?' + query if query else ''}"


def har_entry(entry: JournalEntry, base_url: str) -> dict[str, Any]:
    """One journal entry as a HAR entry."""
    headers = entry.headers
    request: dict[str, Any] = {
        "method": entry.method,
        "url": _url(entry, base_url),
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": name, "value": value} for name, value in headers.items()],
        "queryString": [{"name": n, "value": v} for n, v in parse_qsl(entry.query, keep_blank_values=True)],
        "headersSize": -1,
        "bodySize": len(entry.raw_body),
    }
    if entry.raw_body:
        request["postData"] = {"mimeType": headers.get("content-type", ""), "text": entry.body}
    milliseconds = entry.duration_ms
    har: dict[str, Any] = {
        "startedDateTime": entry.time,
        "time": milliseconds,
        "request": request,
        "response": {
            "status": entry.status if entry.status is not None else 0,
            "statusText": _status_text(entry.status) if entry.error is None else entry.error,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [],
            "content": {"size": -1, "mimeType": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        },
        "cache": {},
        "timings": {"send": 0, "wait": milliseconds, "receive": 0},
    }
    notes = [f"fault rule {entry.fault}"] if entry.fault else []
    if entry.direction == "outbound":
        notes.append("sent by the emulator")
    if notes:
        har["comment"] = "; ".join(notes)
    return har


def har_document(entries: Iterable[JournalEntry], base_url: str) -> dict[str, Any]:
    """A HAR 1.2 log of `entries`, in the order given (the journal's, oldest first)."""
    return {
        "log": {
            "version": HAR_VERSION,
            "creator": {"name": "transfer-emulators", "version": __version__},
            "entries": [har_entry(entry, base_url) for entry in entries],
        }
    }
