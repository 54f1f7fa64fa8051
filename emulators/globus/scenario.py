"""The `services.globus` section of a scenario: identities, credentials, collections and behaviour.

    services:
      globus:
        identities: [{id, username}]                    who may use the API
        tokens:     [{token, identity, expires}]        ready-made bearer tokens (the SDK's access token)
        clients:    [{client_id, client_secret, identity}]  client credentials (globus-cli, headless)
        endpoints:  [{id, display_name, entity_type, owner, acl, tree, ...}]
                    mapped collections own a tree; a guest collection shows `host_path` of its host's
        maintenance: [{start, end, message}]            windows in which the API answers 503
        behaviour:  {queue_delay, rate, progress_interval, page_size, token_lifetime,
                     default_deadline, cancel_delay}
        data_faults: [{match, error, probability, stage}]  `match` globs run over `ENDPOINT_ID/path`;
                    stage `enumeration` names a directory whose `ls` the endpoint refuses

An identity in an endpoint's `acl` may read ("r") or read and write ("rw"); the owner may do both.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from emulators.core.datafaults import DataFault
from emulators.core.engine import RateModel
from emulators.core.spec import Spec
from emulators.core.storage import TreeSpec

EntityType = Literal["GCSv5_mapped_collection", "GCSv5_guest_collection", "GCSv4_host", "GCSv4_share"]
GUEST_TYPES = frozenset({"GCSv5_guest_collection", "GCSv4_share"})


def _uuid(value: str) -> str:
    """Globus ids are UUIDs; a scenario that names another id would answer no client."""
    try:
        uuid.UUID(value)
    except ValueError:
        raise ValueError(
            f"must be a UUID, like aaaaaaaa-0000-4000-8000-000000000001, not {value!r}"
        ) from None
    return value


Uuid = Annotated[str, AfterValidator(_uuid)]


class Identity(Spec):
    id: Uuid
    username: str


class StaticToken(Spec):
    token: str = Field(min_length=8)
    identity: str = Field(description="the identity's username")
    expires: datetime | None = Field(default=None, description="default: never")


class Client(Spec):
    client_id: str
    client_secret: str
    identity: str = Field(description="the identity's username")


class Endpoint(Spec):
    """A collection (endpoint) and, for a mapped collection, its file system."""

    id: Uuid
    display_name: str
    entity_type: EntityType = "GCSv5_mapped_collection"
    owner: str = Field(description="the owning identity's username")
    description: str = ""
    organization: str = ""
    public: bool = False
    acl: dict[str, Literal["r", "rw"]] = Field(default_factory=dict, description="username -> access")
    default_directory: str | None = Field(default=None, description="null: clients use /~/")
    home: str = Field(default="/", description="what /~/ resolves to")
    force_encryption: bool = False
    activated: bool = Field(default=True, description="false: submissions get NoCredException")
    deleted: bool = Field(default=False, description="a deleted host: its guests answer Conflict")
    host_endpoint: str | None = Field(default=None, description="guest collections: the host's id")
    host_path: str = Field(default="/", description="guest collections: the host directory shared")
    tree: TreeSpec = Field(default_factory=TreeSpec)

    @model_validator(mode="after")
    def _shape(self) -> Endpoint:
        if (self.entity_type in GUEST_TYPES) != (self.host_endpoint is not None):
            raise ValueError("a guest collection needs host_endpoint and only a guest collection has one")
        if self.host_endpoint is not None and (self.tree.entries or self.tree.generate):
            raise ValueError("a guest collection shows its host's tree and has none of its own")
        return self


class Maintenance(Spec):
    """A window in which every Transfer API call answers 503 ServiceUnavailable (a fault rule)."""

    start: datetime | float = Field(description="absolute, or seconds after the clock's start")
    end: datetime | float
    message: str = "The service is down for maintenance."


class Behaviour(Spec):
    queue_delay: float = Field(default=2, ge=0, description="seconds a task stays Queued")
    rate: RateModel = Field(default_factory=RateModel)
    progress_interval: float = Field(default=60, gt=0, description="seconds between PROGRESS events")
    page_size: int = Field(default=1000, ge=1, le=100_000, description="successful_transfers page size")
    token_lifetime: float = Field(default=172800, gt=0, description="seconds an issued token lives")
    default_deadline: float = Field(
        default=86400,
        gt=0,
        description="seconds; the deadline shown without a client one (it expires only an INACTIVE task)",
    )
    cancel_delay: float = Field(
        default=1, ge=0, description="seconds a cancel of a running task takes (CancelAccepted); 0: at once"
    )


class GlobusSection(Spec):
    identities: list[Identity] = Field(default_factory=list)
    tokens: list[StaticToken] = Field(default_factory=list)
    clients: list[Client] = Field(default_factory=list)
    endpoints: list[Endpoint] = Field(default_factory=list)
    maintenance: list[Maintenance] = Field(default_factory=list)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    data_faults: list[DataFault] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_exist(self) -> GlobusSection:
        names = {i.username for i in self.identities}
        for kind, items in (("token", self.tokens), ("client", self.clients)):
            for item in items:
                if item.identity not in names:
                    raise ValueError(f"{kind} refers to unknown identity {item.identity!r}")
        ids = {e.id: e for e in self.endpoints}
        for endpoint in self.endpoints:
            if endpoint.owner not in names:
                raise ValueError(f"endpoint {endpoint.id} has unknown owner {endpoint.owner!r}")
            unknown = set(endpoint.acl) - names
            if unknown:
                raise ValueError(f"endpoint {endpoint.id} grants unknown identities {sorted(unknown)}")
            host = ids.get(endpoint.host_endpoint or "")
            if endpoint.host_endpoint is not None and (host is None or host.host_endpoint is not None):
                raise ValueError(f"guest collection {endpoint.id} needs a mapped collection as its host")
        return self

    def timeline_problems(self, action: str, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The timeline actions' arguments: `endpoint` names an endpoint here, `token` is given,
        rename_path's `old_path` and `new_path` are given."""
        if action == "rename_path":
            paths = ("old_path", "new_path")
            problems = [(k, "required: a path on the endpoint") for k in paths if not args.get(k)]
            problems += [
                (k, "must be a string") for k in paths if args.get(k) and not isinstance(args[k], str)
            ]
            if problems:
                return problems
        if action in ("expire_activation", "activate_endpoint", "rename_path"):
            endpoint = args.get("endpoint")
            if not isinstance(endpoint, str) or not endpoint:
                return [("endpoint", "required: the id of an endpoint of services.globus.endpoints")]
            if endpoint.lower() not in {e.id for e in self.endpoints}:
                return [("endpoint", f"unknown endpoint {endpoint!r}")]
        if action == "expire_token" and (not isinstance(args.get("token"), str) or not args["token"]):
            return [("token", "required: the bearer token that stops working")]
        return []
