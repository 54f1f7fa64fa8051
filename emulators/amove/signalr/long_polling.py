"""Long Polling, the server-to-client transport of repeated GETs: what each poll answers.

Owns: `PollQueue`, one connection's outgoing bytes between polls, and the rules of the answers
(TransportProtocols.md, "Long Polling"; ASP.NET Core's long polling transport):

- the first poll answers at once, 200 with no body: it only tells the client the connection is up;
- a poll with bytes waiting takes all of them: 200, `application/octet-stream`, whatever the hub
  protocol (JSON records and MessagePack messages are simply concatenated);
- a poll with nothing waiting waits; at the poll timeout (`POLL_TIMEOUT`, ASP.NET Core's default
  `PollTimeout`) it answers 200 with no body, and the client polls again;
- a new poll ends the waiting one with 204, and waits in its place;
- once the connection is over, a poll takes what was still waiting, and then gets 204; a DELETE
  (`terminate`) drops what was waiting, as the real server disposes the connection at once.

Nothing here waits or reads a clock: the hub holds the request, wakes it when `write`, `close` or a
newer poll changes things (or the timeout passes), and asks `answer` then.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

POLL_TIMEOUT: Final = 90.0
"""Seconds a poll waits for something to send before it answers 200 with no body."""

NO_CACHE: Final = {
    "Cache-Control": "no-cache, no-store",
    "Pragma": "no-cache",
    "Expires": "Thu, 01 Jan 1970 00:00:00 GMT",
}
"""The headers the ASP.NET Core server puts on every poll's answer."""


DATA_TYPE: Final = "application/octet-stream"
"""The content type of an answer that carries messages (and of the first poll's)."""


@dataclass(frozen=True)
class PollAnswer:
    """The status, body and content type a poll answers with (a 204 has no body)."""

    status: int
    body: bytes = b""
    media_type: str = "text/plain"


FIRST: Final = PollAnswer(200, media_type=DATA_TYPE)
"""The first poll's answer: the connection is up."""

TIMED_OUT: Final = PollAnswer(200)
"""The answer of a poll that waited the whole timeout with nothing to send."""

ENDED: Final = PollAnswer(204)
"""The answer of a poll that a newer poll replaced, or of one after the connection ended."""


class PollQueue:
    """The bytes waiting for one connection's next poll, and which poll is the current one."""

    def __init__(self) -> None:
        self._pending = bytearray()
        self._polls = 0  # polls begun so far; the last one is the current one
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether the connection is over (only what is still waiting goes out)."""
        return self._closed

    @property
    def finished(self) -> bool:
        """Closed, and everything it held has been taken: the connection can be forgotten."""
        return self._closed and not self._pending

    def write(self, data: bytes) -> None:
        """Queue bytes for the next poll (nothing more is taken once the connection is over)."""
        if not self._closed:
            self._pending += data

    def close(self) -> None:
        """The connection is over; what is waiting still goes to the next poll."""
        self._closed = True

    def terminate(self) -> None:
        """The connection is over at once (a DELETE): what was waiting is dropped."""
        self._closed = True
        self._pending.clear()

    def begin(self) -> tuple[int, PollAnswer | None]:
        """A poll arrives: its number, and its answer if it has one at once (None: it waits)."""
        self._polls += 1
        if self._polls == 1:
            return self._polls, FIRST
        if self._pending or self._closed:
            return self._polls, self._take()
        return self._polls, None

    def is_current(self, poll: int) -> bool:
        """Whether `poll` is the newest poll (an older one has been replaced)."""
        return poll == self._polls

    def answer(self, poll: int) -> PollAnswer:
        """The answer of a poll that waited, once woken or timed out."""
        if not self.is_current(poll):
            return ENDED
        return self._take()

    def _take(self) -> PollAnswer:
        if self._pending:
            body = bytes(self._pending)
            self._pending.clear()
            return PollAnswer(200, body, DATA_TYPE)
        return ENDED if self._closed else TIMED_OUT
