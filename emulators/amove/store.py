"""The Amove state of one World: accounts, users, sessions and tokens, cloud accounts with their
buckets, and transfers.

Buckets are `FileSystem`s over the scenario's storage trees, so a transfer's objects appear in the
destination bucket as the engine finishes them, and `list_objects` sees them.

World events live here too: a cloud account's credentials may be revoked, a bucket may have a quota,
and providers (or one region of a provider) may be down (`down`: since when); `emulators.amove.timeline`
changes them and applies them to the transfers.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from emulators.amove.scenario import AmoveSection, CloudAccountSpec
from emulators.core.datafaults import DataFaults
from emulators.core.filesystem import FileSystem
from emulators.core.service import Page
from emulators.core.storage import Tree
from emulators.core.tokens import JwtSigner
from emulators.core.world import World

if TYPE_CHECKING:
    from emulators.amove.signalr import ConnectionRegistry
    from emulators.amove.transfers import AmoveTransfer

JWT_ISSUER = "https://auth.amove.io"
# The roles that see every cloud account of their Amove account, shared or not.
ACCOUNT_WIDE_ROLES = frozenset({1, 4})  # ProviderAdmin, AccountAdmin


@dataclass
class User:
    id: str
    username: str
    password: str
    type: int
    account_id: str
    totp_secret: str | None = None


@dataclass
class Bucket:
    name: str
    region: str | None
    created: datetime
    objects: FileSystem
    quota: int | None = None


@dataclass
class CloudAccount:
    id: str
    account_id: str
    user_id: str
    cloud_type: int
    name: str
    access_key: str
    secret_key: str
    credentials_data: str | None
    service_url: str | None
    shared: bool
    storage_tier: int
    buckets: dict[str, Bucket] = field(default_factory=dict)
    internal_storage: bool = False
    active: bool = True
    deleted: bool = False
    revoked: bool = False  # the provider refuses its credentials

    def visible_to(self, user: User) -> bool:
        """Visible to its owner, to anyone of its account once shared, and to the account's admins."""
        if self.deleted or self.account_id != user.account_id:
            return False
        return self.user_id == user.id or self.shared or user.type in ACCOUNT_WIDE_ROLES


@dataclass(frozen=True)
class Outage:
    """A provider that does not answer: all of it (`region` None) or one region."""

    provider: int
    region: str | None

    def touches(self, cloud: CloudAccount, bucket: Bucket) -> bool:
        return cloud.cloud_type == self.provider and self.region in (None, bucket.region)


@dataclass
class ApiToken:
    id: str
    user_id: str
    session_id: str
    title: str
    token: str
    encryption_key: str | None
    is_encrypted: bool
    expiration_date: datetime
    create_date: datetime


@dataclass
class MfaSession:
    user_id: str
    expires: datetime


@dataclass
class AmoveStore:
    world: World
    section: AmoveSection
    signer: JwtSigner
    faults: DataFaults
    users: dict[str, User] = field(default_factory=dict)
    cloud_accounts: dict[str, CloudAccount] = field(default_factory=dict)
    request_tokens: dict[str, datetime] = field(default_factory=dict)  # token -> expiry
    mfa_sessions: dict[str, MfaSession] = field(default_factory=dict)
    revoked_sessions: set[str] = field(default_factory=set)
    reset_tokens: dict[str, str] = field(default_factory=dict)  # reset token -> user id
    api_tokens: dict[str, ApiToken] = field(default_factory=dict)
    transfers: dict[str, AmoveTransfer] = field(default_factory=dict)
    down: dict[Outage, datetime] = field(default_factory=dict)  # provider outages going on, since when
    # The hub's last document of each transfer, with what it was built from (see `progress.payload`).
    pushed: dict[str, tuple[Hashable, dict[str, Any]]] = field(default_factory=dict)

    @functools.cached_property
    def hub(self) -> ConnectionRegistry:
        """The hub's connections, made on the hub's first request (the SignalR protocol is
        imported then, not when the World is built)."""
        from emulators.amove.signalr import ConnectionRegistry

        return ConnectionRegistry(self.world.ids)

    def user_named(self, username: str) -> User | None:
        return next((u for u in self.users.values() if u.username.lower() == username.lower()), None)


def new_store(world: World, section: AmoveSection) -> AmoveStore:
    store = AmoveStore(
        world,
        section,
        JwtSigner(world.links.key("amove jwt"), JWT_ISSUER),
        DataFaults(section.data_faults, world.seed),
    )
    for account in section.accounts:
        for spec in account.users:
            store.users[spec.id] = User(
                spec.id, spec.username, spec.password, spec.type, account.id, spec.totp_secret
            )
        for cloud in account.cloud_accounts:
            owner = store.user_named(cloud.owner)
            assert owner is not None  # the section checks owners
            store.cloud_accounts[cloud.id] = _cloud_account(world, cloud, account.id, owner.id)
    return store


def _cloud_account(world: World, spec: CloudAccountSpec, account_id: str, user_id: str) -> CloudAccount:
    cloud = CloudAccount(
        spec.id,
        account_id,
        user_id,
        spec.cloud_type,
        spec.name,
        spec.access_key,
        spec.secret_key,
        spec.credentials_data,
        spec.service_url,
        spec.shared,
        spec.storage_tier,
        revoked=spec.revoked,
    )
    for name, bucket in spec.buckets.items():
        tree = Tree(bucket, world.seed, world.start)
        objects = FileSystem(tree, world.start)
        cloud.buckets[name] = Bucket(name, bucket.region, world.start, objects, bucket.quota)
    return cloud


def summary(store: AmoveStore, page: Page) -> dict[str, Any]:
    """What `GET /_emulator/state` shows: counts, a page of transfer records, and the reset tokens a
    mail would have carried."""
    now = store.world.clock.now()
    transfers, window = page.of(store.transfers)
    return {
        "users": len(store.users),
        "cloud_accounts": sum(not c.deleted for c in store.cloud_accounts.values()),
        "api_tokens": len(store.api_tokens),
        "transfers": {transfer_id: transfer.record(now) for transfer_id, transfer in transfers},
        "transfers_page": window,
        "reset_tokens": {token: store.users[uid].username for token, uid in store.reset_tokens.items()},
    }
