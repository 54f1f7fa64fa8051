"""Endpoint activation: credentials that expire, tasks that go INACTIVE, and the legacy activation API.

When an endpoint's activation expires (a timeline event, or `POST /endpoint/{id}/deactivate`), every
task still running on it (as source, destination or through a guest's host) becomes INACTIVE: the
engine stops moving its files. When the endpoint is activated again (timeline, `autoactivate` or
`activate`), the task is ACTIVE again and its remaining files take as long as they would have.

A pause is a stretch of virtual time in which the task's work clock stands still, so a paused
`Transfer` is the same plan with every later finish time pushed back by the pause: reads stay pure
functions of time and the destination file system sees the files when they really finish.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from emulators.core.engine import Transfer
from emulators.core.service import TimelineAction
from emulators.core.world import World
from emulators.globus.store import Collection, GlobusStore

# An open pause lasts until the endpoint is activated again; until then later files never finish.
_OPEN = 100 * 365 * 86400.0


class PausableTransfer(Transfer):
    """An engine transfer whose work clock can stand still between two instants."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pauses: list[tuple[datetime, datetime | None, float]] = []  # (from, to, work seconds at from)

    def _shift(self, work: float) -> float:
        shifted = work
        for start, end, at_work in self.pauses:
            if work > at_work:
                shifted += (end - start).total_seconds() if end is not None else _OPEN
        return shifted

    def enumerated_after(self, i: int) -> float:
        return self._shift(super().enumerated_after(i))

    def finished_after(self, i: int) -> float:
        return self._shift(super().finished_after(i))

    # Pauses move these, so they are computed on each read (plain properties, never cached).
    @property
    def enumeration_end(self) -> datetime:
        return self.start + timedelta(seconds=self.enumerated_after(self.total - 1) if self.total else 0)

    @property
    def natural_end(self) -> datetime:
        return self.start + timedelta(seconds=self.finished_after(self.total - 1) if self.total else 0)

    def work_seconds(self, at: datetime) -> float:
        """Seconds of work done by `at`: time since the start, less the pauses before `at`."""
        seconds = (at - self.start).total_seconds()
        for start, end, at_work in self.pauses:
            if at <= start:
                break
            if end is None or at < end:
                return at_work
            seconds -= (end - start).total_seconds()
        return seconds

    def paused(self, at: datetime) -> bool:
        return any(start <= at and (end is None or at < end) for start, end, _ in self.pauses)

    def pause(self, at: datetime) -> None:
        if not self.paused(at):
            self.pauses.append((at, None, self.work_seconds(at)))

    def resume(self, at: datetime) -> None:
        if self.pauses and self.pauses[-1][1] is None:
            start, _, at_work = self.pauses[-1]
            self.pauses[-1] = (start, max(at, start), at_work)


def _uses(task_collections: list[Collection | None], collection: Collection) -> bool:
    return any(c is not None and (c is collection or c.host is collection) for c in task_collections)


def deactivate(store: GlobusStore, collection: Collection, at: datetime) -> None:
    """The endpoint's activation ends at `at`: its running tasks go INACTIVE."""
    collection.activated = False
    for task in store.tasks.values():
        if not task.is_complete(at) and _uses([task.source, task.destination], collection):
            task.pause(at)


def activate(store: GlobusStore, collection: Collection, at: datetime) -> None:
    """The endpoint is activated at `at`: tasks paused on it resume unless another endpoint still lacks it."""
    collection.activated = True
    for task in store.tasks.values():
        endpoints = [c for c in (task.source, task.destination) if c is not None]
        if all(c.activated and (c.host is None or c.host.activated) for c in endpoints):
            task.resume(at)


def requirements(collection: Collection) -> dict[str, Any]:
    """GET /endpoint/{id}/activation_requirements (legacy): nothing to fill in, it auto-activates."""
    return {
        "DATA_TYPE": "activation_requirements",
        "activated": collection.activated,
        "expires_in": -1 if collection.activated else 0,
        "expire_time": None,
        "auto_activation_supported": True,
        "oauth_server": None,
        "length": 0,
        "DATA": [],
    }


def autoactivate(store: GlobusStore, collection: Collection, at: datetime) -> tuple[str, str]:
    """POST /endpoint/{id}/autoactivate (legacy): (code, message)."""
    if collection.activated:
        return "AlreadyActivated", "Endpoint already activated"
    activate(store, collection, at)
    return "AutoActivated.CachedCredential", "Endpoint activated successfully using cached credential"


def _collection(world: World, args: Mapping[str, Any]) -> tuple[GlobusStore, Collection]:
    store = world.store(GlobusStore)
    return store, store.collections[str(args["endpoint"]).lower()]


def expire_activation(world: World, args: Mapping[str, Any], at: datetime) -> None:
    store, collection = _collection(world, args)
    deactivate(store, collection, at)


def activate_endpoint(world: World, args: Mapping[str, Any], at: datetime) -> None:
    store, collection = _collection(world, args)
    activate(store, collection, at)


def expire_token(world: World, args: Mapping[str, Any], at: datetime) -> None:
    world.store(GlobusStore).tokens.expire(str(args["token"]), at)


ACTIONS: dict[str, TimelineAction] = {
    "expire_activation": expire_activation,
    "activate_endpoint": activate_endpoint,
    "expire_token": expire_token,
}
