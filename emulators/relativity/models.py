"""Request documents of the Transfer Service API (doc, "CreateTransferRequestv2").

Property names are matched case-insensitively, as ASP.NET's web JSON settings do; unknown properties
are ignored. Every problem is a 400 with the documented `{statusCode, title, message}` body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from emulators.relativity.errors import bad_request

EMPTY_JOB_ID = "00000000-0000-0000-0000-000000000000"
CORRELATION_HEADER = "correlation-id"  # a request header the answer echoes, an error's too


_HEX = "[0-9a-fA-F]"
_DASHED = f"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
# System.Text.Json reads a Guid in the dashed form only; route and header binding use Guid.TryParse,
# which also takes 32 bare digits, braces and parentheses (never "urn:uuid:").
_BODY_GUID = re.compile(_DASHED)
_BOUND_GUID = re.compile(f"{_DASHED}|{_HEX}{{32}}|\\{{{_DASHED}\\}}|\\({_DASHED}\\)")


def parse_job_id(value: object, field: str = "transferJobID") -> str:
    """A JSON body's job id in its canonical lower-case form; 400 unless it is a dashed uuid string."""
    if not isinstance(value, str):
        raise bad_request(f"The {field} field must be a uuid string.")
    return _canonical(value, _BODY_GUID, field)


def parse_bound_id(value: str, field: str) -> str:
    """A job id from the path or a header, in canonical form; 400 unless Guid.TryParse reads it."""
    return _canonical(value.strip(), _BOUND_GUID, field)


def _canonical(value: str, form: re.Pattern[str], field: str) -> str:
    if not form.fullmatch(value):
        raise bad_request(f"The value '{value[:64]}' is not a valid uuid for {field}.")
    digits = re.sub("[^0-9a-fA-F]", "", value).lower()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


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
