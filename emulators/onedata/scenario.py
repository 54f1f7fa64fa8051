"""The `services.onedata` section of a scenario: providers, spaces with their trees and replicas,
users with tokens and privileges, views, and behaviour.

    services:
      onedata:
        provider: <id>                          the Oneprovider that answers the REST API
        onezone_domain: <domain>                what /configuration names as the Onezone
        providers: [{id, name, domain, version, online}]
        spaces:
          - id, name
            supports: {<providerId>: {readonly, size}}   in support order (the first is the origin)
            tree: {entries, generate}           the core's lazy tree (paths below the space root)
            replicas: [{path, providers, blocks}]  who holds a complete replica of the files under
                                                `path` (a file, a directory or a generated set's
                                                prefix; the longest match wins; default: the origin);
                                                `blocks` ({provider: [[offset, length]]}) are partial
                                                replicas of one explicit file
            views: [{name, providers, files}]   the files (paths) the view's query returns, in order
        users: [{id, name, tokens, spaces: {<spaceId>: [privileges]}}]
        behaviour: {schedule_delay, enqueue_delay, abort_delay, rate, eviction_per_file,
                    failure_threshold, legacy_fields}
        data_faults: [{match, error}]           `match` globs over `<spaceName>/<path>`; the file
                                                fails to replicate (counted in filesFailed)

Privileges are Onedata's names (`space_view_transfers`, `space_schedule_replication`, ...); `all`
grants every one.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from emulators.core.datafaults import DataFault
from emulators.core.engine import RateModel
from emulators.core.spec import Spec
from emulators.core.storage import TreeSpec

PRIVILEGES = (
    "space_view",
    "space_view_transfers",
    "space_schedule_replication",
    "space_cancel_replication",
    "space_schedule_eviction",
    "space_cancel_eviction",
    "space_query_views",
    "space_manage_views",
)


class Provider(Spec):
    id: str = Field(min_length=1)
    name: str
    domain: str
    version: str = "21.02.7"
    online: bool = True


class Support(Spec):
    readonly: bool = False
    size: int = Field(default=1 << 50, ge=0, description="bytes of storage granted to the space")


class Replicas(Spec):
    path: str = Field(default="", description="a file, a directory or a generated set's prefix")
    providers: list[str] = Field(default_factory=list, description="providers holding a complete replica")
    blocks: dict[str, list[tuple[int, int]]] = Field(
        default_factory=dict,
        description="partial replicas of the explicit file at `path`: provider -> [[offset, length]]",
    )

    @model_validator(mode="after")
    def _blocks(self) -> Replicas:
        for provider, blocks in self.blocks.items():
            if provider in self.providers:
                raise ValueError(
                    f"provider {provider!r} holds a complete replica, so it has no partial blocks"
                )
            if any(offset < 0 or length <= 0 for offset, length in blocks):
                raise ValueError(f"blocks of {provider!r} need offsets >= 0 and lengths > 0")
        return self


class View(Spec):
    name: str = Field(min_length=1)
    providers: list[str] = Field(default_factory=list, description="default: every supporting provider")
    files: list[str] = Field(default_factory=list, description="paths the query returns, in key order")


class Space(Spec):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    supports: dict[str, Support] = Field(default_factory=dict)
    tree: TreeSpec = Field(default_factory=TreeSpec)
    replicas: list[Replicas] = Field(default_factory=list)
    views: list[View] = Field(default_factory=list)


class User(Spec):
    id: str = Field(min_length=1)
    name: str
    tokens: list[str] = Field(default_factory=list)
    spaces: dict[str, list[str]] = Field(default_factory=dict, description="space id -> privileges")

    @model_validator(mode="after")
    def _known_privileges(self) -> User:
        for privileges in self.spaces.values():
            unknown = set(privileges) - {*PRIVILEGES, "all"}
            if unknown:
                raise ValueError(f"unknown privileges: {sorted(unknown)}")
        return self


class Behaviour(Spec):
    schedule_delay: float = Field(default=1.0, ge=0, description="seconds scheduled before enqueued")
    enqueue_delay: float = Field(default=1.0, ge=0, description="seconds enqueued before active")
    abort_delay: float = Field(default=1.0, ge=0, description="seconds spent aborting")
    rate: RateModel = Field(default_factory=RateModel)
    eviction_per_file: float = Field(default=0.01, ge=0, description="seconds to evict one replica")
    failure_threshold: int = Field(default=10, ge=0, description="more failed files abort the transfer")
    legacy_fields: bool = Field(default=True, description="false: drop the deprecated status keys")


class OnedataSection(Spec):
    provider: str | None = Field(default=None, description="default: the first provider")
    onezone_domain: str = "onezone.onedata.example"
    providers: list[Provider] = Field(default_factory=list)
    spaces: list[Space] = Field(default_factory=list)
    users: list[User] = Field(default_factory=list)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    data_faults: list[DataFault] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> OnedataSection:
        known = {p.id for p in self.providers}
        if self.provider is not None and self.provider not in known:
            raise ValueError(f"provider {self.provider!r} is not among the providers")
        for space in self.spaces:
            named = set(space.supports)
            named |= {p for r in space.replicas for p in [*r.providers, *r.blocks]}
            named |= {p for v in space.views for p in v.providers}
            if named - known:
                raise ValueError(f"space {space.id!r} names unknown providers {sorted(named - known)}")
            files = {e.path.strip("/") for e in space.tree.entries if e.type == "file"}
            for rule in space.replicas:
                if rule.blocks and rule.path.strip("/") not in files:
                    raise ValueError(f"replicas of {rule.path!r}: blocks need an explicit file at that path")
        return self
