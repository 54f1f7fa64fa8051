"""The `services.amove` section of a scenario: Amove accounts, their users and cloud accounts, prices
and behaviour.

    services:
      amove:
        accounts:
          - id, name
            users:          [{id, username, password, type, totp_secret?}]   type: a UserType name or value
            cloud_accounts: [{id, name, cloud_type, owner, access_key, secret_key, service_url,
                              shared, storage_tier, revoked,
                              buckets: {NAME: {region, quota, entries, generate}}}]
        prices:      {AWS: 0.09, Wasabi: 0.0, ...}   USD per GB (10^9 bytes) leaving a provider
        behaviour:   {pickup_delay, cancel_delay, rate, jwt_lifetime, request_token_ttl,
                      failed_files_link_ttl, outage_retry}
        hub:         {target, payload, interval}      what the `/api/rm` hub pushes
        data_faults: [{match, error}]                 `match` globs over `cloud account name/bucket/key`

    timeline:   (world events, `service: amove`)
      - {at, action: revoke_credentials,  args: {cloud_account: ID}}
      - {at, action: restore_credentials, args: {cloud_account: ID}}
      - {at, action: provider_down, args: {provider: NAME, region?: REGION}}
      - {at, action: provider_up,   args: {provider: NAME, region?: REGION}}

`revoked: true` is a cloud account whose credentials are refused from the start; `quota` caps a
bucket's bytes. What each does to transfers is in `emulators.amove.timeline`.

Buckets are core storage trees: explicit objects and generated sets, costing nothing until read.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema, field_validator, model_validator

from emulators.core.datafaults import DataFault
from emulators.core.engine import RateModel
from emulators.core.spec import Spec
from emulators.core.storage import TreeSpec

# Reference, B1: `UserType`.
USER_TYPES: dict[str, int] = {
    "ProviderAdmin": 1,
    "ResellerAdmin": 2,
    "AccountAdmin": 4,
    "AccountUser": 8,
    "DesktopAdmin": 16,
    "DesktopCreativeUser": 32,
    "DesktopStandardUser": 64,
}
# Reference, B3: `CloudProvider` (bit flags).
CLOUD_PROVIDERS: dict[str, int] = {
    "AWS": 1,
    "Wasabi": 2,
    "Azure": 4,
    "S3Generic": 8,
    "Google": 16,
    "Frame": 32,
    "Cloudflare": 64,
    "Dropbox": 128,
    "Box": 256,
    "OneDrive": 512,
    "GoogleDrive": 1024,
    "LocalHttp": 2048,
    "FastrServer": 4096,
    "Atomosphere": 8192,
}
# Reference, B3: `StorageTier` (0 All is for queries only).
STORAGE_TIERS: dict[str, int] = {"Perform": 1, "Global": 2, "Scale": 4, "Archive": 8}


def _by_name_or_value(names: dict[str, int], what: str) -> WithJsonSchema:
    """The scenario schema of an enum given by name or value (the model stores the value)."""
    return WithJsonSchema(
        {
            "anyOf": [{"enum": list(names)}, {"type": "integer", "enum": list(names.values())}],
            "description": what,
        }
    )


def _enum_value(value: object, names: dict[str, int], what: str) -> object:
    if isinstance(value, str) and value in names:
        return names[value]
    if isinstance(value, int) and not isinstance(value, bool) and value not in names.values():
        raise ValueError(f"not a {what}: {value} (known: {', '.join(f'{k}={v}' for k, v in names.items())})")
    return value


def _uuid(value: str) -> str:
    return str(uuid.UUID(value))


class UserSpec(Spec):
    id: str
    username: str = Field(min_length=1)
    password: str = Field(min_length=1)
    type: Annotated[int, _by_name_or_value(USER_TYPES, "UserType, by name or value")]
    totp_secret: str | None = Field(default=None, description="base32; the user must answer a TOTP challenge")

    _ids = field_validator("id")(_uuid)

    @field_validator("totp_secret")
    @classmethod
    def _base32_secret(cls, secret: str | None) -> str | None:
        if secret is None:
            return None
        try:
            decoded = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
        except binascii.Error:
            raise ValueError("totp_secret must be base32") from None
        if len(decoded) < 14:
            raise ValueError("totp_secret must hold at least 112 bits (23 base32 characters or more)")
        return secret

    @field_validator("type", mode="before")
    @classmethod
    def _user_type(cls, value: object) -> object:
        return _enum_value(value, USER_TYPES, "UserType")


class BucketSpec(TreeSpec):
    """A bucket: its objects (a storage tree) and where it lives."""

    region: str | None = "us-east-1"
    quota: int | None = Field(default=None, ge=0, description="bytes the bucket may hold; none: no cap")


class CloudAccountSpec(Spec):
    id: str
    name: str = Field(min_length=1, max_length=50)
    cloud_type: Annotated[int, _by_name_or_value(CLOUD_PROVIDERS, "CloudProvider, by name or value")]
    owner: str = Field(description="the username of the user who added it")
    access_key: str = ""
    secret_key: str = ""
    credentials_data: str | None = None
    service_url: str | None = None
    shared: bool = False
    storage_tier: Annotated[int, _by_name_or_value(STORAGE_TIERS, "StorageTier, by name or value")] = 2
    buckets: dict[str, BucketSpec] = Field(default_factory=dict)
    revoked: bool = Field(default=False, description="the provider refuses its credentials from the start")

    _ids = field_validator("id")(_uuid)

    @field_validator("cloud_type", mode="before")
    @classmethod
    def _cloud_type(cls, value: object) -> object:
        return _enum_value(value, CLOUD_PROVIDERS, "CloudProvider")

    @field_validator("storage_tier", mode="before")
    @classmethod
    def _storage_tier(cls, value: object) -> object:
        return _enum_value(value, STORAGE_TIERS, "StorageTier")


class AccountSpec(Spec):
    id: str
    name: str = "Amove account"
    users: list[UserSpec] = Field(default_factory=list)
    cloud_accounts: list[CloudAccountSpec] = Field(default_factory=list)

    _ids = field_validator("id")(_uuid)

    @model_validator(mode="after")
    def _owners_are_users(self) -> AccountSpec:
        names = {u.username for u in self.users}
        for cloud in self.cloud_accounts:
            if cloud.owner not in names:
                raise ValueError(
                    f"cloud account {cloud.name!r}: owner {cloud.owner!r} is not a user of the account"
                )
        return self


class Behaviour(Spec):
    pickup_delay: float = Field(default=5.0, ge=0, description="seconds a transfer stays Created")
    cancel_delay: float = Field(default=2.0, ge=0, description="seconds a transfer stays Canceling")
    rate: RateModel = Field(default_factory=RateModel)
    jwt_lifetime: float = Field(default=3600.0, gt=0)
    request_token_ttl: float = Field(default=60.0, gt=0)
    failed_files_link_ttl: float = Field(default=300.0, gt=0)
    outage_retry: float = Field(
        default=600.0, ge=0, description="seconds a transfer waits out a provider outage before giving up"
    )


class HubSpec(Spec):
    target: str = Field(default="transferProgress", min_length=1)
    payload: Literal["transfer", "progress"] = Field(
        default="transfer", description="the whole Transfer record, or {id, transferStatus, percent}"
    )
    interval: float = Field(default=1.0, gt=0, description="seconds between pushes of running transfers")


class AmoveSection(Spec):
    accounts: list[AccountSpec] = Field(default_factory=list)
    prices: dict[str, float] = Field(default_factory=dict, description="USD per GB by CloudProvider name")
    behaviour: Behaviour = Field(default_factory=Behaviour)
    hub: HubSpec = Field(default_factory=HubSpec)
    data_faults: list[DataFault] = Field(default_factory=list)

    @field_validator("prices")
    @classmethod
    def _known_providers(cls, prices: dict[str, float]) -> dict[str, float]:
        for name, price in prices.items():
            if name not in CLOUD_PROVIDERS:
                raise ValueError(f"unknown provider {name!r} (known: {', '.join(CLOUD_PROVIDERS)})")
            if price < 0:
                raise ValueError(f"{name}: a price cannot be negative")
        return prices

    @model_validator(mode="after")
    def _unique(self) -> AmoveSection:
        names = [u.username for a in self.accounts for u in a.users]
        if len(names) != len(set(names)):
            raise ValueError("usernames must be unique across accounts")
        clouds = [c.id for a in self.accounts for c in a.cloud_accounts]
        if len(clouds) != len(set(clouds)):
            raise ValueError("cloud account ids must be unique")
        return self

    def timeline_problems(self, action: str, args: Mapping[str, Any]) -> list[tuple[str, str]]:
        """The timeline actions' arguments: a cloud account declared here, or a known provider."""
        if action in ("revoke_credentials", "restore_credentials"):
            cloud = args.get("cloud_account")
            declared = [c.id for a in self.accounts for c in a.cloud_accounts]
            if not isinstance(cloud, str) or _canonical_uuid(cloud) not in declared:
                return [
                    (
                        "cloud_account",
                        f"unknown cloud account {cloud!r}; declared: {', '.join(declared) or 'none'}",
                    )
                ]
        if action in ("provider_down", "provider_up"):
            if args.get("provider") not in CLOUD_PROVIDERS:
                return [("provider", f"a CloudProvider name ({', '.join(CLOUD_PROVIDERS)})")]
            if not isinstance(args.get("region", ""), str):
                return [("region", "must be a string: the region of the buckets affected")]
        return []


def _canonical_uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None
