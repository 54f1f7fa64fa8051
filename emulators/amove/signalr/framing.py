"""What both hub protocols share on the way in: buffering frames into whole messages.

Owns: `MessageDecoder`, the base of each protocol's decoder. A transport delivers frames whose
edges mean nothing to the hub protocol (a frame may hold several messages or part of one), so a
decoder buffers bytes, cuts complete messages off the front and parses them one at a time. Each
protocol supplies only how to cut (`_cut`) and how to parse (`_parse`). A refused message makes the
decoder refuse everything after it, because the hub closes the connection on the first one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from emulators.amove.signalr.messages import HubMessage, ProtocolError

MAX_MESSAGE_SIZE: Final = 32 * 1024
"""ASP.NET Core's default `MaximumReceiveMessageSize`: a longer incoming message closes the connection."""


class MessageDecoder:
    """Turns one connection's incoming frames into hub messages, in order.

    Feed it each frame, then iterate it for the messages now complete. Iteration raises
    `ProtocolError` at the first malformed message, after yielding the good ones before it.
    """

    def __init__(self, max_message_size: int = MAX_MESSAGE_SIZE) -> None:
        self.max_message_size = max_message_size
        self._buffer = bytearray()
        self._failure: ProtocolError | None = None

    def feed(self, data: str | bytes) -> None:
        """Buffer one frame (or any piece of the stream)."""
        if self._failure is not None:
            raise self._failure
        self._buffer += self._bytes(data)

    def __iter__(self) -> Iterator[HubMessage]:
        while (message := self.next_message()) is not None:
            yield message

    def read(self, data: str | bytes) -> list[HubMessage]:
        """Feed one frame and return every message it completes (all or `ProtocolError`)."""
        self.feed(data)
        return list(self)

    def next_message(self) -> HubMessage | None:
        """The next complete message, or None until more data arrives."""
        if self._failure is not None:
            raise self._failure
        try:
            body = self._cut(self._buffer)
            return None if body is None else self._parse(body)
        except ProtocolError as failure:
            self._failure = failure
            raise

    def _too_large(self) -> ProtocolError:
        return ProtocolError(f"The maximum message size of {self.max_message_size}B was exceeded.")

    def _bytes(self, data: str | bytes) -> bytes:
        return data.encode() if isinstance(data, str) else data

    def _cut(self, buffer: bytearray) -> bytes | None:
        """Remove the next complete message's bytes from the buffer, or None if there is none yet."""
        raise NotImplementedError

    def _parse(self, body: bytes) -> HubMessage:
        """One message's bytes as a hub message, or `ProtocolError`."""
        raise NotImplementedError
