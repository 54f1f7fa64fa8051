"""All Oneprovider state of one World: providers, spaces, users and their tokens, and transfers.

The store also owns what happens when a transfer ends (a timer that follows each transfer): on
success the replicas it made or removed change, and its callback goes out once through the outbox,
without retries (reference 7). Providers go offline and back through `set_online` (timeline).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulators.core.datafaults import DataFaults
from emulators.core.outbox import OutgoingRequest
from emulators.core.service import Page
from emulators.core.timers import Timer
from emulators.core.tokens import Tokens
from emulators.onedata.scenario import Behaviour, OnedataSection, Provider, User
from emulators.onedata.spaces import SpaceState
from emulators.onedata.transfers import TransferJob

if TYPE_CHECKING:
    from datetime import datetime

    from emulators.core.world import World


@dataclass
class OnedataStore:
    """The service's state; built from the scenario section by `new_store`."""

    world: World
    provider_id: str
    providers: dict[str, Provider]
    spaces: dict[str, SpaceState]
    users: dict[str, User]
    tokens: Tokens[User]
    behaviour: Behaviour
    data_faults: DataFaults
    onezone_domain: str
    transfers: dict[str, TransferJob] = field(default_factory=dict)
    milestones: dict[str, Timer] = field(default_factory=dict)  # each transfer's completion timer
    full: set[str] = field(default_factory=set)  # providers whose storage has filled up (timeline)

    @property
    def online(self) -> frozenset[str]:
        return frozenset(p.id for p in self.providers.values() if p.online)

    def add_transfer(self, job: TransferJob) -> None:
        self.transfers[job.id] = job
        self._follow(job)

    def _follow(self, job: TransferJob) -> None:
        """Plan (again) what happens when the job completes, following its current phases."""
        previous = self.milestones.pop(job.id, None)
        if previous is not None:
            previous.cancel()
        self.milestones[job.id] = self.world.timers.follow(
            job.phases, job.completed_at, lambda at: self._completed(job, at)
        )

    def set_online(self, provider_id: str, online: bool, at: datetime) -> None:
        """A provider goes offline (the files transfers read from it and have not finished fail) or
        comes back (later transfers read from it again)."""
        self.providers[provider_id] = self.providers[provider_id].model_copy(update={"online": online})
        if not online:
            for job in self.transfers.values():
                if job.lose_source(provider_id, at):
                    self._follow(job)

    def fill_storage(self, provider_id: str, full: bool, at: datetime) -> None:
        """A provider's storage fills up (replications to it fail the files they have not finished;
        new ones are refused with `enospc`) or has room again (for transfers created from then on)."""
        if not full:
            self.full.discard(provider_id)
            return
        self.full.add(provider_id)
        for job in self.transfers.values():
            if job.lose_space(provider_id, at):
                self._follow(job)

    def _completed(self, job: TransferJob, at: datetime) -> None:
        space = self.spaces[job.space_id]
        if job.replication is not None and job.replicating_provider_id is not None:
            for unit in job.replication.units:
                space.holders[unit] = space.holders.get(unit, frozenset()) | {job.replicating_provider_id}
                space.partial.get(unit, {}).pop(job.replicating_provider_id, None)  # complete now
        if job.eviction is not None and job.evicting_provider_id is not None:
            for unit in job.eviction.units:
                space.holders[unit] = space.holders.get(unit, frozenset()) - {job.evicting_provider_id}
                space.partial.get(unit, {}).pop(job.evicting_provider_id, None)
        if job.callback is not None:
            body = json.dumps({"transferId": job.id}).encode()
            self.world.post(OutgoingRequest("onedata", "POST", job.callback, body, {}, retry=None), at)


def new_store(world: World, section: OnedataSection) -> OnedataStore:
    providers = {p.id: p for p in section.providers}
    provider_id = section.provider or next(iter(providers), "")
    spaces = {s.id: SpaceState.build(s, world.seed, world.start) for s in section.spaces}
    tokens: Tokens[User] = Tokens()
    for user in section.users:
        for token in user.tokens:
            tokens.add(token, user)
    return OnedataStore(
        world=world,
        provider_id=provider_id,
        providers=providers,
        spaces=spaces,
        users={u.id: u for u in section.users},
        tokens=tokens,
        behaviour=section.behaviour,
        data_faults=DataFaults(section.data_faults, world.seed),
        onezone_domain=section.onezone_domain,
    )


def summary(store: OnedataStore, page: Page) -> dict[str, Any]:
    """What the control API's state dump shows of this service: one page of transfers."""
    now = store.world.clock.now()
    transfers, window = page.of(store.transfers)
    return {
        "provider": store.provider_id,
        "spaces": sorted(store.spaces),
        "transfers": {tid: job.status(now) for tid, job in transfers},
        "transfers_page": window,
    }
