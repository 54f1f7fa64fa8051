"""Cloud accounts (reference, B3): the caller's view, adding, sharing and deleting them, and browsing
their buckets and objects (the core's storage trees, with what transfers wrote into them).

No Starlette here; routes pass in documents and get documents back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from emulators.amove.errors import AmoveError, not_found
from emulators.amove.models import iso, optional_bool, optional_string, parse_uuid
from emulators.amove.scenario import CLOUD_PROVIDERS
from emulators.amove.store import AmoveStore, Bucket, CloudAccount, User
from emulators.core.filesystem import normalize

S3_GENERIC = CLOUD_PROVIDERS["S3Generic"]
OBJECT_TYPE_FILE = 1
OBJECT_TYPE_FOLDER = 2
MAX_LIST_COUNT = 1000


def visible(store: AmoveStore, user: User) -> list[CloudAccount]:
    return [c for c in store.cloud_accounts.values() if c.visible_to(user)]


def find(store: AmoveStore, user: User, cloud_account_id: object, name: str) -> CloudAccount:
    """A cloud account the caller can see; 499 NOT_FOUND for any other id."""
    cloud = store.cloud_accounts.get(parse_uuid(cloud_account_id, name))
    if cloud is None or not cloud.visible_to(user):
        raise not_found("Cloud account")
    return cloud


def bucket_of(cloud: CloudAccount, name: object) -> Bucket:
    bucket = cloud.buckets.get(name) if isinstance(name, str) else None
    if bucket is None:
        raise not_found("Bucket")
    return bucket


def insert(store: AmoveStore, user: User, body: Mapping[str, Any]) -> CloudAccount:
    """Add a cloud account; the server sets `accountId`, `userId` and `internalStorage`."""
    cloud_type = body.get("cloudType")
    if (
        not isinstance(cloud_type, int)
        or isinstance(cloud_type, bool)
        or cloud_type not in CLOUD_PROVIDERS.values()
    ):
        raise AmoveError("DEFAULT", "cloudType must be a CloudProvider value.")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 50:
        raise AmoveError("DEFAULT", "name is required and at most 50 characters long.")
    access_key, secret_key = optional_string(body, "accessKey"), optional_string(body, "secretKey")
    service_url = optional_string(body, "serviceUrl") or None
    if cloud_type == S3_GENERIC and not service_url:
        raise AmoveError("DEFAULT", "serviceUrl is required for S3Generic.")
    credentials = optional_string(body, "credentialsData") or None
    if not (access_key and secret_key) and not credentials:
        # Credentials are validated against the provider; empty ones never pass.
        raise AmoveError("SECURITY", "The credentials were refused by the provider.")
    cloud = CloudAccount(
        store.world.ids.uuid(),
        user.account_id,
        user.id,
        cloud_type,
        name,
        access_key,
        secret_key,
        credentials,
        service_url,
        optional_bool(body, "shared", False),
        2,
    )
    store.cloud_accounts[cloud.id] = cloud
    return cloud


def manage_share(store: AmoveStore, user: User, body: Mapping[str, Any]) -> None:
    """Share or unshare a cloud account with the Amove account (owner only)."""
    cloud = find(store, user, body.get("id"), "id")
    shared = body.get("shared")
    if not isinstance(shared, bool):
        raise AmoveError("DEFAULT", "shared must be a boolean.")
    if cloud.user_id != user.id:
        raise AmoveError("ACCESS", "Only the owner can share a cloud account.")
    cloud.shared = shared


def delete(store: AmoveStore, user: User, cloud_account_id: str | None) -> None:
    """Soft delete. A missing account answers as the cloud-account page says: code `Global`,
    "Object not found." (outside the Error Model's table; see the contract spec)."""
    try:
        cloud = find(store, user, cloud_account_id, "id")
    except AmoveError:
        raise AmoveError("Global", "Object not found.") from None
    if cloud.user_id != user.id and user.type not in (1, 4):
        raise AmoveError("ACCESS", "Only the owner or an account admin can delete a cloud account.")
    cloud.deleted = True


def _check_credentials(cloud: CloudAccount) -> None:
    """Browsing asks the provider, which refuses revoked credentials."""
    if cloud.revoked:
        raise AmoveError("SECURITY", f"The provider refused the credentials of {cloud.name!r}.")


def list_buckets(cloud: CloudAccount, include_region: bool, now: datetime) -> list[dict[str, Any]]:
    _check_credentials(cloud)
    return [
        {
            "id": bucket.name,
            "name": bucket.name,
            "region": bucket.region if include_region else None,
            "size": bucket.objects.files("", now).total_bytes,
            "creationDate": iso(bucket.created),
        }
        for bucket in cloud.buckets.values()
    ]


def list_objects(store: AmoveStore, user: User, body: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """One page of a folder's immediate children (folders and objects, by name), `count` at most,
    with the continuation token of the next page (null on the last)."""
    cloud = find(store, user, body.get("cloudAccountId"), "cloudAccountId")
    _check_credentials(cloud)
    bucket = bucket_of(cloud, body.get("bucketName"))
    path = optional_string(body, "path") or "/"
    count = body.get("count", MAX_LIST_COUNT)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise AmoveError("DEFAULT", "count must be a positive integer.")
    token = optional_string(body, "continuationToken")
    children = bucket.objects.listdir(normalize(path), now)
    if children is None:
        raise not_found("Path")
    start = 0
    if token:
        start = next((i for i, c in enumerate(children) if c.name > token), len(children))
    page = children[start : start + min(count, MAX_LIST_COUNT)]
    more = start + len(page) < len(children)
    return {
        "data": [
            {
                "id": entry.path + ("/" if entry.kind == "dir" else ""),
                "name": entry.name,
                "path": "/" + entry.path + ("/" if entry.kind == "dir" else ""),
                "size": entry.size,
                "lastModifiedUtc": iso(entry.mtime),
                "type": OBJECT_TYPE_FOLDER if entry.kind == "dir" else OBJECT_TYPE_FILE,
            }
            for entry in page
        ],
        "continuationToken": page[-1].name if more and page else None,
        "bucketName": bucket.name,
        "path": path,
    }
