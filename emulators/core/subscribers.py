"""Subscribers: live connections (WebSockets) that hear pushes when time moves or state changes.

A service registers a connection under a topic it chooses (an account, a transfer) with
`World.subscribers.add(topic, subscriber)`; state changes publish messages for a topic with the
virtual instant they are due (`World.publish`), and the Host hands each one to every subscriber of
the topic when it settles, in due-time order together with the outbox. A subscriber's `deliver`
writes to its connection and returns when the message is on its way, so a settle that returned has
sent every push due. A subscriber that fails to take a message is dropped.

Registration may come from another thread than the one settling (the in-process client runs the app
on its own thread), so the registry is guarded by a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Protocol


class Subscriber(Protocol):
    """A live connection that takes pushes."""

    async def deliver(self, message: object) -> None: ...


@dataclass(eq=False)
class Subscription:
    """One subscriber's place under a topic; `cancel` it when the connection ends."""

    registry: Subscribers
    topic: Hashable
    subscriber: Subscriber

    def cancel(self) -> None:
        self.registry._remove(self)


class Subscribers:
    """Who hears what, in one World."""

    def __init__(self) -> None:
        self._by_topic: dict[Hashable, list[Subscription]] = {}
        self._lock = threading.Lock()

    def add(self, topic: Hashable, subscriber: Subscriber) -> Subscription:
        subscription = Subscription(self, topic, subscriber)
        with self._lock:
            self._by_topic.setdefault(topic, []).append(subscription)
        return subscription

    def of(self, topic: Hashable) -> list[Subscription]:
        """The subscriptions to `topic` now, in the order they were made."""
        with self._lock:
            return list(self._by_topic.get(topic, ()))

    def _remove(self, subscription: Subscription) -> None:
        with self._lock:
            kept = [s for s in self._by_topic.get(subscription.topic, ()) if s is not subscription]
            if kept:
                self._by_topic[subscription.topic] = kept
            else:
                self._by_topic.pop(subscription.topic, None)

    def __len__(self) -> int:
        with self._lock:
            return sum(map(len, self._by_topic.values()))
