"""All Globus Transfer state of one World: identities, tokens, collections, tasks, submission ids.

Each identity's task history is kept in submission order (which is request-time order: the clock
never goes back), whole and per task type, so a page of `task_list` in request-time order is a slice
of one list, whatever the length of the history.
"""

from __future__ import annotations

import asyncio
import bisect
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from emulators.core.datafaults import DataFaults
from emulators.core.filesystem import FileSystem
from emulators.core.service import Page
from emulators.core.storage import Tree
from emulators.core.tokens import Tokens
from emulators.globus.scenario import Behaviour, Endpoint, GlobusSection, Identity

if TYPE_CHECKING:
    from emulators.core.world import World
    from emulators.globus.management import AdminCancel
    from emulators.globus.tasks import Task


@dataclass
class Collection:
    """An endpoint as the service runs it: its scenario entry and the file system it shows.

    A guest collection shares its host's `FileSystem` and sees it from `root` down.
    """

    spec: Endpoint
    fs: FileSystem
    root: str = ""
    host: Collection | None = None
    activated: bool = True

    def __post_init__(self) -> None:
        self.activated = self.spec.activated

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass
class GlobusStore:
    """The service's state; built from the scenario section by `new_store`."""

    world: World
    behaviour: Behaviour
    identities: dict[str, Identity]
    clients: dict[str, tuple[str, Identity]]
    collections: dict[str, Collection]
    data_faults: DataFaults
    tokens: Tokens[Identity] = field(default_factory=Tokens)
    tasks: dict[str, Task] = field(default_factory=dict)
    # (identity id, submission id as a canonical UUID) -> task id: each identity's ids are its own
    submissions: dict[tuple[str, str], str] = field(default_factory=dict)
    maintenance: list[tuple[datetime, datetime, str]] = field(default_factory=list)  # start, end, message
    submitting: asyncio.Lock = field(default_factory=asyncio.Lock)  # submissions run one at a time
    # (identity id, task type or None for all) -> its tasks not removed, in submission order
    histories: dict[tuple[str, str | None], list[Task]] = field(default_factory=dict)
    admin_cancels: dict[int, AdminCancel] = field(default_factory=dict)  # by id, from 1 up
    # Every rename (file system, old path, when), in order: a submission planned in chunks applies
    # the ones made meanwhile to its task once the task exists (`Task.lose`).
    renames: list[tuple[FileSystem, str, datetime]] = field(default_factory=list)

    def submitted(self, owner_id: str, submission_id: str) -> str | None:
        """The task id of the owner's submission with this id, compared as a UUID (any case)."""
        return self.submissions.get((owner_id, str(uuid.UUID(submission_id))))

    def maintenance_window(self, now: datetime) -> tuple[datetime, str] | None:
        """(end, message) of the maintenance window `now` falls in, if any (doc 3.2.5, 503)."""
        return next(((end, message) for start, end, message in self.maintenance if start <= now < end), None)

    def record(self, task: Task) -> None:
        """Add a new task (the latest submitted) to its owner's history."""
        self.tasks[task.task_id] = task
        self.submissions[task.owner.id, str(uuid.UUID(task.submission_id))] = task.task_id
        for kind in (None, task.type):
            self.histories.setdefault((task.owner.id, kind), []).append(task)

    def forget(self, task: Task) -> None:
        """Take a removed task out of its owner's history."""
        task.removed = True
        for kind in (None, task.type):
            tasks = self.histories[task.owner.id, kind]
            i = bisect.bisect_left(tasks, task.request_time, key=lambda t: t.request_time)
            while tasks[i] is not task:  # tasks requested at the same instant: few
                i += 1
            del tasks[i]

    def history(self, owner_id: str, kinds: Iterable[str]) -> list[Task]:
        """The owner's tasks of these types (all when none or both are named), in submission order."""
        wanted = set(kinds)
        kind = next(iter(wanted)) if len(wanted) == 1 else None
        return self.histories.get((owner_id, kind), [])


def _instant(world: World, value: datetime | float) -> datetime:
    """A scenario instant: absolute (UTC unless it says otherwise) or seconds after the start."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return world.start + timedelta(seconds=value)


def new_store(world: World, section: GlobusSection) -> GlobusStore:
    """A fresh store for a new World."""
    identities = {i.username: i for i in section.identities}
    collections: dict[str, Collection] = {}
    for spec in section.endpoints:
        if spec.host_endpoint is None:
            fs = FileSystem(Tree(spec.tree, world.seed, world.start), world.start)
            collections[spec.id] = Collection(spec, fs)
    for spec in section.endpoints:
        if spec.host_endpoint is not None:
            host = collections[spec.host_endpoint]
            root = "/".join(p for p in spec.host_path.split("/") if p)
            collections[spec.id] = Collection(spec, host.fs, root, host)
    store = GlobusStore(
        world=world,
        behaviour=section.behaviour,
        identities=identities,
        clients={c.client_id: (c.client_secret, identities[c.identity]) for c in section.clients},
        collections=collections,
        data_faults=DataFaults(section.data_faults, world.seed),
        maintenance=[
            (_instant(world, w.start), _instant(world, w.end), w.message) for w in section.maintenance
        ],
    )
    for token in section.tokens:
        store.tokens.add(token.token, identities[token.identity], token.expires)
    return store


def summary(store: GlobusStore, page: Page) -> dict[str, Any]:
    """What the control API's state dump shows of this service: one page of tasks."""
    now = store.world.clock.now()
    tasks, window = page.of(store.tasks)
    return {
        "tasks": {task_id: task.document(now) for task_id, task in tasks},
        "tasks_page": window,
        "endpoints": sorted(store.collections),
        "identities": sorted(store.identities),
        "tokens_issued": len(store.tokens),
    }
