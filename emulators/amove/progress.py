"""What the hub hears: each transfer's status changes, published per Amove account through the World's
subscribers, and the progress of running transfers at the scenario's interval, which each hub
connection's own timer publishes while it is open (no timer runs while nobody listens).

A push carries the payload the scenario names (`hub.payload`: the Transfer record, or a short
progress document) computed at the instant it is due, once for all the connections that hear it.
Status changes are published only while the account has a listener.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import Any

from emulators.amove.store import AmoveStore
from emulators.amove.transfers import RUNNING, AmoveTransfer


def topic(account_id: str) -> Hashable:
    return ("amove", account_id)


def payload(store: AmoveStore, transfer: AmoveTransfer, at: datetime) -> dict[str, Any]:
    """The document pushed for `transfer` at `at`: built once, however many connections hear it
    (every connection of an account ticks at the same instants), and again whenever what it is
    built from changes: the instant, the transfer's plan, its cloud accounts' sharing."""
    selection = transfer.selection
    source, destination = selection.source, selection.destination
    key = (at, transfer.version, source.shared, source.deleted, destination.shared, destination.deleted)
    cached = store.pushed.get(transfer.id)
    if cached is not None and cached[0] == key:
        return cached[1]
    document = _document(store, transfer, at)
    store.pushed[transfer.id] = (key, document)
    return document


def _document(store: AmoveStore, transfer: AmoveTransfer, at: datetime) -> dict[str, Any]:
    record = transfer.record(at)
    if store.section.hub.payload == "progress":
        return {
            key: record[key] for key in ("id", "transferStatus", "percent", "transferred", "failed", "total")
        }
    return record


def publish(store: AmoveStore, transfer: AmoveTransfer, at: datetime) -> None:
    """Push the transfer as it is at `at` to its account's listeners."""
    where = topic(transfer.account_id)
    if store.world.subscribers.of(where):
        store.world.publish(where, payload(store, transfer, at), at)


def track(store: AmoveStore, transfer: AmoveTransfer) -> None:
    """Push on every status change of a new transfer: picked up, and finished (the end follows the
    engine, so a cancel, a hold or a stop with a reason re-plans it; a cancel pushes its own)."""
    timers = store.world.timers
    timers.at(transfer.pickup, lambda at: _picked_up(store, transfer, at))
    engine = transfer.engine
    timers.follow(
        engine,
        lambda: None if engine.stop is not None and engine.stop.code is None else engine.end,
        lambda at: publish(store, transfer, at),
    )


def _picked_up(store: AmoveStore, transfer: AmoveTransfer, at: datetime) -> None:
    # One that ends as soon as it starts (nothing to copy, refused credentials) is pushed by its end.
    if transfer.status(at) == RUNNING:
        publish(store, transfer, at)


def canceled(store: AmoveStore, transfer: AmoveTransfer, at: datetime) -> None:
    """A cancel: Canceling now, Canceled `cancel_delay` later."""
    publish(store, transfer, at)
    store.world.timers.at(
        at + timedelta(seconds=transfer.cancel_delay), lambda when: publish(store, transfer, when)
    )


def push_running(store: AmoveStore, account_id: str, where: Hashable) -> Callable[[datetime], None]:
    """A timer action for one hub connection: push each running transfer of the account to `where`
    (the connection's own topic, so two connections of an account do not hear each other's ticks)."""

    def push(at: datetime) -> None:
        for transfer in store.transfers.values():
            if transfer.account_id == account_id and transfer.status(at) == RUNNING:
                store.world.publish(where, payload(store, transfer, at), at)

    return push
