"""The `services.relativity` section of a scenario: identities, Azure accounts and behaviour.

    services:
      relativity:
        users:    [{name, groups, fileshares}]        who may use the API and which fileshares they reach
        clients:  [{client_id, client_secret, user}]  OAuth2 client-credentials clients
        tokens:   [{token, user, expires}]            ready-made bearer tokens (for curl and tests)
        azure:    {ACCOUNT: {key, containers: {NAME: tree}, delegation_keys: [...]}}
        jobs:     [...]                               jobs that exist before the first request
        behaviour: {...}                              delays, rates, statistics refresh, QC report
        data_faults: [{match, error, stage, probability}]

`match` globs run over `account/container/blob`; `error` is an Azure error code or an ER code.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import Field, model_validator

from emulators.core.datafaults import DataFault
from emulators.core.engine import RateModel
from emulators.core.spec import Spec
from emulators.core.storage import TreeSpec
from emulators.relativity.fileshare import parse_destination
from emulators.relativity.sas import parse_sas_url

DEV_ACCOUNT = "devstoreaccount1"
DEV_ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
SYSTEM_ADMINISTRATORS = "System Administrators"


class User(Spec):
    name: str
    groups: list[str] = Field(default_factory=list)
    fileshares: list[str] = Field(default_factory=list, description="UNC roots, e.g. \\\\files.t001...\\T001")

    @model_validator(mode="after")
    def _fileshares_parse(self) -> User:
        for root in self.fileshares:
            parse_destination(root.rstrip("\\") + "\\ARM")
        return self


class Client(Spec):
    client_id: str
    client_secret: str
    user: str


class StaticToken(Spec):
    token: str = Field(min_length=8)
    user: str
    expires: datetime | None = Field(default=None, description="default: never")


class DelegationKey(Spec):
    """A user delegation key, as Azure's Get User Delegation Key hands it out: a user delegation SAS
    names it (`skoid`, `sktid`, `skt`, `ske`, `sks`, `skv`) and is signed with its `value`."""

    signed_oid: str
    signed_tid: str
    signed_start: datetime
    signed_expiry: datetime
    signed_service: str = "b"
    signed_version: str = "2025-11-05"
    value: str = Field(description="base64 key that signs user delegation SAS tokens")


class AzureAccount(Spec):
    key: str = Field(default=DEV_ACCOUNT_KEY, description="base64 account key that signs SAS tokens")
    hierarchical_namespace: bool = Field(default=False, description="ADLS Gen2: directory SAS allowed")
    containers: dict[str, TreeSpec] = Field(default_factory=dict)
    delegation_keys: list[DelegationKey] = Field(default_factory=list)


class Delay(Spec):
    """A delay that grows with the number of files: base + per_file * files (seconds)."""

    base: float = Field(default=0, ge=0)
    per_file: float = Field(default=0, ge=0)

    def seconds(self, files: int) -> float:
        return self.base + self.per_file * files


class Behaviour(Spec):
    queue_delay: float = Field(default=5, ge=0, description="seconds until an agent picks a job up")
    agent_startup: float = Field(
        default=10,
        ge=0,
        description="seconds from pickup to the first file listed (source checked, folder made)",
    )
    statistics_interval: float = Field(default=10, gt=0, description="seconds between status refreshes")
    rate: RateModel = Field(default_factory=RateModel)
    validation: Delay = Field(default_factory=lambda: Delay(base=10, per_file=0.0005))
    qc_report: Delay = Field(default_factory=lambda: Delay(base=30, per_file=0.002))
    qc_url_lifetime: float = Field(default=900, gt=0, description="seconds a QC report URL stays valid")
    token_lifetime: float = Field(default=3600, gt=0, description="seconds an issued bearer token lives")
    minimum_sas_lifetime: float = Field(default=7 * 86400, ge=0, description="doc: at least 7 days")
    transient_retries: int = Field(
        default=3, ge=0, le=100, description="retries of ServerBusy, OperationTimedOut, InternalError"
    )
    transient_retry_delay: float = Field(
        default=0.8,
        ge=0,
        le=86400,
        description="seconds before the first retry of a transient error, doubled for each later one",
    )
    transient_retry_max_delay: float = Field(
        default=60, ge=0, le=86400, description="most seconds before any one retry"
    )

    def backoff(self, retries: int) -> float:
        """Seconds spent waiting before `retries` retries of one request. The Azure SDK for .NET's
        exponential back-off (RetryOptions: Delay 0.8 s, doubled each retry, MaxDelay 1 minute),
        without its random jitter, so runs repeat."""
        delay, cap = self.transient_retry_delay, self.transient_retry_max_delay
        return sum(min(delay * 2.0**n, cap) for n in range(retries))


class PresetJob(Spec):
    """A job that exists when the scenario starts (e.g. one made by another Relativity transfer tool)."""

    transferJobID: str  # spelled as the API spells it
    sourcePath: str
    destinationPath: str
    transferType: str = "AzureToR1"
    tags: dict[str, str] | None = None
    created: float = Field(default=0, ge=0, description="seconds after the clock's start")

    @model_validator(mode="after")
    def _parses(self) -> PresetJob:
        uuid.UUID(self.transferJobID)
        parse_sas_url(self.sourcePath)
        parse_destination(self.destinationPath)
        return self


class RelativitySection(Spec):
    users: list[User] = Field(default_factory=list)
    clients: list[Client] = Field(default_factory=list)
    tokens: list[StaticToken] = Field(default_factory=list)
    azure: dict[str, AzureAccount] = Field(default_factory=dict)
    jobs: list[PresetJob] = Field(default_factory=list)
    behaviour: Behaviour = Field(default_factory=Behaviour)
    data_faults: list[DataFault] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references_exist(self) -> RelativitySection:
        names = {u.name for u in self.users}
        for kind, items in (("client", self.clients), ("token", self.tokens)):
            for item in items:
                if item.user not in names:
                    raise ValueError(f"{kind} refers to unknown user {item.user!r}")
        for job in self.jobs:
            if parse_sas_url(job.sourcePath).account not in self.azure:
                raise ValueError(f"job {job.transferJobID} reads from an undeclared Azure account")
        return self

    def timeline_problems(self, action: str, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The timeline actions' arguments: `account` is declared here, `token` is given."""
        if action == "rotate_account_key":
            account = args.get("account")
            if not isinstance(account, str) or account not in self.azure:
                known = ", ".join(sorted(self.azure)) or "none"
                return [("account", f"unknown Azure account {account!r}; declared: {known}")]
            if "key" in args and not isinstance(args["key"], str):
                return [("key", "must be a string: the new account key")]
        if action == "expire_token" and (not isinstance(args.get("token"), str) or not args["token"]):
            return [("token", "required: the bearer token that stops working")]
        return []
