"""All Relativity Transfer Service state of one World: identities, Azure accounts, jobs, keys."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulators.core.datafaults import DataFaults
from emulators.core.service import Page
from emulators.core.storage import Tree
from emulators.core.tokens import Tokens
from emulators.relativity.scenario import Behaviour, DelegationKey, RelativitySection, User

if TYPE_CHECKING:
    from emulators.core.world import World
    from emulators.relativity.jobs import TransferJob
    from emulators.relativity.qc import ReportLayout


@dataclass
class Account:
    """An Azure storage account the scenario declares."""

    name: str
    key: str
    hierarchical_namespace: bool
    containers: dict[str, Tree]
    delegation_keys: list[DelegationKey] = field(default_factory=list)


@dataclass
class RelativityStore:
    """The service's state; built from the scenario section by `build_store`."""

    world: World
    behaviour: Behaviour
    users: dict[str, User]
    clients: dict[str, tuple[str, User]]
    accounts: dict[str, Account]
    data_faults: DataFaults
    signing_key: bytes
    report_key: str
    tokens: Tokens[User] = field(default_factory=Tokens)
    jobs: dict[str, TransferJob] = field(default_factory=dict)
    qc_layouts: dict[str, ReportLayout] = field(default_factory=dict)  # job id -> its QC report's


def new_store(world: World, section: RelativitySection) -> RelativityStore:
    """A fresh store for a new World (jobs the scenario presets are added by the caller)."""
    users = {u.name: u for u in section.users}
    accounts = {
        name: Account(
            name,
            spec.key,
            spec.hierarchical_namespace,
            {c: Tree(tree, world.seed, world.start) for c, tree in spec.containers.items()},
            list(spec.delegation_keys),
        )
        for name, spec in section.azure.items()
    }
    store = RelativityStore(
        world=world,
        behaviour=section.behaviour,
        users=users,
        clients={c.client_id: (c.client_secret, users[c.user]) for c in section.clients},
        accounts=accounts,
        data_faults=DataFaults(section.data_faults, world.seed),
        signing_key=world.links.key("relativity token"),
        report_key=base64.b64encode(world.links.key("relativity qc report")).decode(),
    )
    for token in section.tokens:
        store.tokens.add(token.token, users[token.user], token.expires)
    return store


def summary(store: RelativityStore, page: Page) -> dict[str, Any]:
    """What the control API's state dump shows of this service: one page of jobs."""
    now = store.world.clock.now()
    jobs, window = page.of(store.jobs)
    return {
        "jobs": {job_id: job.document(now) for job_id, job in jobs},
        "jobs_page": window,
        "accounts": {name: sorted(a.containers) for name, a in store.accounts.items()},
        "users": sorted(store.users),
        "tokens_issued": len(store.tokens),
    }
