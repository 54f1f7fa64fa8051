"""Relativity Transfer Service errors: the `{statusCode, title, message}` body and the ER codes.

Routes and the job state machine raise `RelativityError` (or one of the factories below); the one
handler in `app.py` renders it. The ER table is the doc's "Error codes" section, keyed by the Azure
error code the listing or the copy ran into; `er_code` is the one way from an Azure code to an ER code.
"""

from __future__ import annotations

from http import HTTPStatus

from starlette.responses import JSONResponse, Response

from emulators.core.errors import ServiceError

# Doc, "Error codes": ER code -> (Azure error codes, description).
ER_CODES: dict[str, tuple[tuple[str, ...], str]] = {
    "ER_00001": (("AuthenticationFailed",), "Invalid credentials or SAS token."),
    "ER_00002": (("AuthorizationFailure",), "General authorization failure."),
    "ER_00003": (
        ("AuthorizationPermissionMismatch",),
        "Missing RBAC role or SAS permissions for source/destination.",
    ),
    "ER_00004": (("InvalidAuthenticationInfo",), "Malformed authentication headers or token."),
    "ER_00005": (
        ("CannotVerifyCopySource",),
        "Source URI or SAS inaccessible (firewall, endpoint, or expired SAS).",
    ),
    "ER_10001": (("BlobNotFound",), "Source or destination blob does not exist."),
    "ER_10002": (("BlobImmutableDueToPolicy",), "Immutability policy or legal hold prevents overwrite."),
    "ER_10003": (("InvalidBlobType",), "Incompatible blob types (block/page/append)."),
    "ER_10004": (("InvalidMetadata",), "Invalid metadata values."),
    "ER_10005": (("InvalidHeaderValue",), "Invalid header values."),
    "ER_20001": (("BlockCountExceedsLimit",), "Too many blocks for large blob (exceeds 50,000 block limit)."),
    "ER_20002": (("InvalidResourceName",), "Invalid blob name or path."),
    "ER_20003": (("SnapshotsPresent",), "Snapshot/version conflicts prevent copy."),
    "ER_20004": (
        ("BlobArchived",),
        "Source blob is in Archive tier and must be rehydrated before copy.",
    ),
    "ER_20005": (
        ("PathValidationFailed",),
        "Destination blob name does not comply with Relativity File and Folder naming rules.",
    ),
    "ER_99999": ((), "Unknown/uncategorized non-transient error."),
}
# Azure error codes the table does not name, under the row whose description covers them (reference,
# A7, for what each means). Every path that fails a job or a file maps Azure's answer through here.
_RELATED: dict[str, str] = {
    "AuthorizationProtocolMismatch": "ER_00002",
    "AuthorizationSourceIPMismatch": "ER_00002",
    "AuthorizationResourceTypeMismatch": "ER_00002",
    "AuthorizationServiceMismatch": "ER_00002",
    "NoAuthenticationInformation": "ER_00004",
    "ContainerNotFound": "ER_10001",
    "ResourceNotFound": "ER_10001",
    "BlobBeingRehydrated": "ER_20004",
}
_BY_AZURE = {azure: er for er, (azures, _) in ER_CODES.items() for azure in azures} | _RELATED

# Azure's transient answers (reference, A7: ServerBusy 503, OperationTimedOut and InternalError 500):
# the service retries them, and one that outlasts the retries is ER_99999.
TRANSIENT = frozenset({"ServerBusy", "OperationTimedOut", "InternalError"})

# What Azure answers when a SAS stops working (reference, A7): List Blobs refuses the token itself;
# a server-side copy reports that the destination could not read its source.
LISTING_DENIED = "AuthenticationFailed"
COPY_SOURCE_DENIED = "CannotVerifyCopySource"


def er_code(azure_code: str) -> str:
    """The ER code for an Azure error code (an ER code passes through; anything else is ER_99999)."""
    if azure_code in ER_CODES:
        return azure_code
    return _BY_AZURE.get(azure_code, "ER_99999")


def er_message(code: str) -> str:
    """`ER_xxxxx: description`, as the enumeration error field shows it."""
    return f"{code}: {ER_CODES[code][1]}"


class RelativityError(ServiceError):
    """An error answer of the Transfer Service API (the body has no code of its own)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, message, None, headers)


def bad_request(message: str) -> RelativityError:
    return RelativityError(400, message)


def not_found(message: str = "The transfer job does not exist.") -> RelativityError:
    return RelativityError(404, message)


def unauthorized(message: str) -> RelativityError:
    return RelativityError(401, message, {"WWW-Authenticate": 'Bearer realm="Relativity.REST"'})


def forbidden(message: str) -> RelativityError:
    return RelativityError(403, message)


def render_error(status: int, message: str | None, headers: dict[str, str] | None = None) -> Response:
    """The documented error body for any status."""
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body = {"statusCode": status, "title": title, "message": message or title}
    return JSONResponse(body, status_code=status, headers=headers)
