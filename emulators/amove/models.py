"""Amove documents: the transfer request as the doc defines it, and the response documents (the
masked CloudAccount, the ApiToken, `DTOCollection<T>`), camelCase as the Web API spells them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from emulators.amove.errors import AmoveError
from emulators.amove.store import ApiToken, CloudAccount

MASK = "********"


def iso(at: datetime | None) -> str | None:
    """A UTC date-time as the Web API writes it (ISO 8601, `Z`)."""
    if at is None:
        return None
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_uuid(value: object, name: str) -> str:
    """A uuid field, canonical; 499 DEFAULT otherwise."""
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    raise AmoveError("DEFAULT", f"The field {name} must be a uuid.")


def optional_string(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise AmoveError("DEFAULT", f"The field {name} must be a string.")
    return value


def optional_bool(body: Mapping[str, Any], name: str, default: bool) -> bool:
    value = body.get(name, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise AmoveError("DEFAULT", f"The field {name} must be a boolean.")
    return value


@dataclass(frozen=True)
class TransferRequest:
    """Doc, "Transfer > Request Body" (calculate_cost takes the same shape)."""

    source_cloud_account_id: str
    source_bucket: str
    source_path: str
    destination_cloud_account_id: str
    destination_bucket: str
    destination_path: str
    allow_skip: bool
    keep_source_tree: bool

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> TransferRequest:
        for name in ("sourceBucket", "destinationBucket"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise AmoveError("DEFAULT", f"The field {name} is required.")
        for name in ("sourceBucketId", "sourceId", "destinationBucketId", "destinationId"):
            optional_string(body, name)  # provider ids: accepted, unused by S3-compatible providers
        return cls(
            parse_uuid(body.get("sourceCloudAccountId"), "sourceCloudAccountId"),
            body["sourceBucket"],
            optional_string(body, "sourcePath"),
            parse_uuid(body.get("destinationCloudAccountId"), "destinationCloudAccountId"),
            body["destinationBucket"],
            optional_string(body, "destinationPath"),
            # The doc's template shows allowSkip true and keepSourceTree false.
            optional_bool(body, "allowSkip", True),
            optional_bool(body, "keepSourceTree", False),
        )


def _masked_key(key: str) -> str | None:
    return (MASK + key[-4:]) if len(key) > 8 else (MASK if key else None)


def cloud_account_document(cloud: CloudAccount) -> dict[str, Any]:
    """Reference, B3: a CloudAccount with its credentials masked."""
    return {
        "id": cloud.id,
        "accountId": cloud.account_id,
        "userId": cloud.user_id,
        "cloudType": cloud.cloud_type,
        "name": cloud.name,
        "serviceUrl": cloud.service_url,
        "active": cloud.active,
        "shared": cloud.shared,
        "internalStorage": cloud.internal_storage,
        "storageTier": cloud.storage_tier,
        "accessKey": _masked_key(cloud.access_key),
        "secretKey": MASK if cloud.secret_key else None,
        "credentialsData": MASK if cloud.credentials_data else None,
        "deleted": cloud.deleted,
    }


def api_token_document(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "userId": token.user_id,
        "sessionId": token.session_id,
        "title": token.title,
        "token": token.token,
        "encryptionKey": token.encryption_key,
        "isEncrypted": token.is_encrypted,
        "expirationDate": iso(token.expiration_date),
        "createDate": iso(token.create_date),
    }


def collection(
    items: Sequence[Mapping[str, Any]], total: int, page: int, page_size: int, sort: str, descending: bool
) -> dict[str, Any]:
    """Reference, B1: `DTOCollection<T>`."""
    return {
        "data": list(items),
        "total": total,
        "options": {"pageSize": page_size, "page": page, "sort": [{"field": sort, "descending": descending}]},
    }


def human_size(size: float) -> str:
    """A byte count as people read it: `0 B`, `512 B`, `1.5 KB`, `3.21 GB` (binary multiples)."""
    units = ["B", "KB", "MB", "GB", "TB", "PB"]
    value, unit = float(size), 0
    while value >= 1024 and unit < len(units) - 1:
        value /= 1024
        unit += 1
    if unit == 0:
        return f"{int(value)} B"
    return f"{value:.2f}".rstrip("0").rstrip(".") + f" {units[unit]}"
