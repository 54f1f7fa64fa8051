"""Request documents of the Transfer Service API (doc, "CreateTransferRequestv2").

Property names are matched case-insensitively, as ASP.NET's web JSON settings do; unknown properties
are ignored. Every problem is a 400 with the documented `{statusCode, title, message}` body.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from emulators.relativity.errors import bad_request

EMPTY_JOB_ID = "00000000-0000-0000-0000-000000000000"


def parse_job_id(value: object, field: str = "transferJobID") -> str:
    """A job id in its canonical lower-case form; 400 unless it is a uuid string."""
    if not isinstance(value, str):
        raise bad_request(f"The {field} field must be a uuid string.")
    try:
        parsed = uuid.UUID(value.strip("{}"))
    except ValueError:
        raise bad_request(f"The value '{value[:64]}' is not a valid uuid for {field}.") from None
    return str(parsed)


@dataclass(frozen=True)
class CreateTransferRequest:
    """The POST v2/transfer/jobs body, type-checked but not yet checked against the World."""

    transfer_job_id: str
    source_path: str
    destination_path: str
    tags: dict[str, str] | None
    transfer_type: str | None

    @classmethod
    def parse(cls, document: dict[str, Any]) -> CreateTransferRequest:
        fields = {str(k).lower(): v for k, v in document.items()}
        if fields.get("transferjobid") is None:
            raise bad_request("The transferJobID field is required.")
        job_id = parse_job_id(fields["transferjobid"])
        if job_id == EMPTY_JOB_ID:
            raise bad_request("The transferJobID must not be empty (00000000-0000-0000-0000-000000000000).")
        return cls(
            transfer_job_id=job_id,
            source_path=_required_string(fields, "sourcePath"),
            destination_path=_required_string(fields, "destinationPath"),
            tags=_tags(fields.get("tags")),
            transfer_type=_optional_string(fields, "transferType"),
        )


def _required_string(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name.lower())
    if value is None or (isinstance(value, str) and not value.strip()):
        raise bad_request(f"The {name} field is required.")
    if not isinstance(value, str):
        raise bad_request(f"The {name} field must be a string.")
    return value


def _optional_string(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name.lower())
    if value is not None and not isinstance(value, str):
        raise bad_request(f"The {name} field must be a string.")
    return value


def _tags(value: object) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise bad_request("The tags field must be an object whose values are strings.")
    return {str(k): v for k, v in value.items()}
