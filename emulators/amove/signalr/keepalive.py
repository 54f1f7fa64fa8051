"""Keep-alive and timeouts as data, answered for instants the caller supplies.

Owns: `KeepAlive`, the three intervals of an ASP.NET Core hub (reference C5: `KeepAliveInterval`
15 s, `ClientTimeoutInterval` 30 s, `HandshakeTimeout` 15 s), and the questions a hub asks of them:
when the next Ping is due, whether the client has gone quiet for too long, whether the handshake is
late. A Ping is owed only when nothing else was sent for a whole interval (HubProtocol.md, "Ping").

Times are whatever the caller's clock gives, seconds as floats or datetimes, because the emulator
runs on a virtual clock: nothing here reads the wall clock or sleeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, TypeVar

MAX_PING_INTERVAL: Final = 15.0
"""The JavaScript client gives up after 30 s of silence, so pings must come at least twice as often."""

Instant = TypeVar("Instant", float, datetime)


@dataclass(frozen=True)
class KeepAlive:
    """A hub's keep-alive policy, in seconds."""

    ping_interval: float = 15.0
    client_timeout: float = 30.0
    handshake_timeout: float = 15.0

    def __post_init__(self) -> None:
        if not 0 < self.ping_interval <= MAX_PING_INTERVAL:
            raise ValueError(f"ping_interval must be more than 0 and at most {MAX_PING_INTERVAL} seconds")
        if self.client_timeout <= 0 or self.handshake_timeout <= 0:
            raise ValueError("client_timeout and handshake_timeout must be more than 0 seconds")

    def next_ping(self, last_sent: Instant) -> Instant:
        """When a Ping is due if nothing else is sent after `last_sent` (any message counts, pings too)."""
        return _after(last_sent, self.ping_interval)

    def ping_due(self, last_sent: Instant, now: Instant) -> bool:
        """Whether the hub owes the client a Ping at `now`."""
        return now >= self.next_ping(last_sent)

    def client_timed_out(self, last_received: Instant, now: Instant) -> bool:
        """Whether the client has sent nothing, not even a Ping, for longer than the client timeout."""
        return now > _after(last_received, self.client_timeout)

    def handshake_expired(self, opened: Instant, now: Instant) -> bool:
        """Whether a connection opened at `opened` is past its time to send the handshake."""
        return now > _after(opened, self.handshake_timeout)


def _after(instant: Instant, seconds: float) -> Instant:
    if isinstance(instant, datetime):
        return instant + timedelta(seconds=seconds)
    return instant + seconds
