"""Endpoint activation: credentials that expire, tasks that go INACTIVE, and the legacy activation API.

When an endpoint's activation expires (a timeline event, or `POST /endpoint/{id}/deactivate`), every
task still running on it (as source, destination or through a guest's host) becomes INACTIVE: the
engine stops moving its files. When the endpoint is activated again (timeline, `autoactivate` or
`activate`), the task is ACTIVE again and its remaining files take as long as they would have.

A pause is the engine's: a stretch of virtual time in which the task's work clock stands still, so
every later finish time moves back by the pause; reads stay pure functions of time and the
destination file system sees the files when they really finish.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from emulators.core.service import TimelineAction
from emulators.core.world import World
from emulators.globus.store import Collection, GlobusStore


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
