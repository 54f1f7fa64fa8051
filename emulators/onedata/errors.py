"""Oneprovider REST errors: the `{"error": {"id", "description", "details"}}` document and its ids.

Routes, the request sanitizer and the transfer state machine raise `OnedataError` (or a factory
below); the one renderer in `app.py` writes the body. Ids, HTTP codes and descriptions are ctool's
(reference 3.1): `details` is present only for errors with arguments, and every error id is camelCase.
The newer `ctx` object (reference 3.2) is optional and not emitted; clients read only `id`,
`description` and `details`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from starlette.responses import JSONResponse, Response

from emulators.core.errors import ServiceError

# Reference 3.1: the id a bare status gets (routing 404/405, fault rules without an id).
DEFAULT_IDS = {
    400: "badMessage",
    401: "unauthorized",
    403: "forbidden",
    404: "notFound",
    405: "notSupported",
    409: "alreadyExists",
    500: "internalServerError",
    501: "notImplemented",
    503: "serviceUnavailable",
}
DESCRIPTIONS = {
    "badMessage": "Message could not be understood by the server.",
    "notSupported": "This operation is not supported.",
    "alreadyExists": "The resource already exists.",
    "internalServerError": "The server has encountered an error while processing this request.",
    "notImplemented": "This operation is not implemented.",
    "serviceUnavailable": "Service Unavailable: the server is temporarily unable to handle this request.",
}


class OnedataError(ServiceError):
    """An error answer of the Oneprovider REST API: HTTP status, error id, description, details."""

    code: str

    def __init__(
        self, status: int, error_id: str, description: str, details: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(status, description, error_id, None, details)


def _bad(error_id: str, description: str, details: Mapping[str, object]) -> OnedataError:
    return OnedataError(400, error_id, description, details)


def malformed_data() -> OnedataError:
    return OnedataError(400, "malformedData", "Provided data could not be understood by the server.")


def missing_required_value(key: str) -> OnedataError:
    return _bad("missingRequiredValue", f"Missing required value: {key}.", {"key": key})


def bad_value_empty(key: str) -> OnedataError:
    return _bad("badValueEmpty", f'Bad value: provided "{key}" must not be empty.', {"key": key})


def bad_value_string(key: str) -> OnedataError:
    return _bad("badValueString", f'Bad value: provided "{key}" must be a string.', {"key": key})


def bad_value_integer(key: str) -> OnedataError:
    return _bad("badValueInteger", f'Bad value: provided "{key}" must be an integer.', {"key": key})


def bad_value_boolean(key: str) -> OnedataError:
    return _bad("badValueBoolean", f'Bad value: provided "{key}" must be a boolean.', {"key": key})


def bad_value_too_low(key: str, limit: int) -> OnedataError:
    description = f'Bad value: provided "{key}" must be at least {limit}.'
    return _bad("badValueTooLow", description, {"key": key, "limit": limit})


def bad_value_json(key: str) -> OnedataError:
    return _bad("badValueJSON", f'Bad value: provided "{key}" must be a valid JSON.', {"key": key})


def bad_value_identifier(key: str) -> OnedataError:
    description = f'Bad value: provided "{key}" is not a valid identifier.'
    return _bad("badValueIdentifier", description, {"key": key})


def bad_value_not_allowed(key: str, allowed: Sequence[str]) -> OnedataError:
    description = f'Bad value: provided "{key}" must be one of: {", ".join(allowed)}.'
    return _bad("badValueNotAllowed", description, {"key": key, "allowed": list(allowed)})


def bad_value_list_not_allowed(key: str, allowed: Sequence[str]) -> OnedataError:
    description = (
        f'Bad value: provided "{key}" must be a list containing zero or more of: {", ".join(allowed)}.'
    )
    return _bad("badValueListNotAllowed", description, {"key": key, "allowed": list(allowed)})


def bad_value_token(key: str) -> OnedataError:
    return _bad("badValueToken", f'Bad value: provided "{key}" is not a valid token.', {"key": key})


def bad_value_not_in_range(key: str, low: int, high: int) -> OnedataError:
    description = f'Bad value: provided "{key}" must be between <{low}, {high}>.'
    return _bad("badValueNotInRange", description, {"key": key, "low": low, "high": high})


def unauthorized(auth_error: tuple[str, str] | None = None) -> OnedataError:
    """401: no token (no details), or a token that does not authenticate (`details.authError`)."""
    if auth_error is None:
        return OnedataError(401, "unauthorized", "You must authenticate yourself to perform this operation.")
    error_id, description = auth_error
    details = {"authError": {"id": error_id, "description": description}}
    return OnedataError(401, "unauthorized", "Provided authentication is not valid (see details).", details)


def forbidden() -> OnedataError:
    return OnedataError(403, "forbidden", "You are not authorized to perform this operation.")


def not_found() -> OnedataError:
    return OnedataError(404, "notFound", "The resource could not be found.")


def posix(errno: str) -> OnedataError:
    """Reference 3.1: every errno, enoent included, is a 400."""
    return _bad("posix", f"Operation failed with POSIX error: {errno}.", {"errno": errno})


def space_not_supported_by(space_id: str, provider_id: str) -> OnedataError:
    description = f"Specified space: {space_id} is not supported by provider {provider_id}."
    return _bad("spaceNotSupportedBy", description, {"spaceId": space_id, "providerId": provider_id})


def view_not_exists_on(provider_id: str) -> OnedataError:
    description = f"Specified view does not exist on provider {provider_id}."
    return _bad("viewNotExistsOn", description, {"providerId": provider_id})


def transfer_already_ended() -> OnedataError:
    return OnedataError(400, "transferAlreadyEnded", "Specified transfer has already ended.")


def transfer_not_ended() -> OnedataError:
    return OnedataError(400, "transferNotEnded", "Specified transfer has not ended yet.")


def render_error(
    status: int, error_id: str | None, description: str | None, details: Mapping[str, object] | None
) -> Response:
    """The error document for any status, as application/json."""
    error_id = error_id or DEFAULT_IDS.get(status, "internalServerError" if status >= 500 else "badMessage")
    error: dict[str, object] = {"id": error_id, "description": description or DESCRIPTIONS.get(error_id, "")}
    if details:
        error["details"] = dict(details)
    return JSONResponse({"error": error}, status_code=status, headers={"access-control-allow-origin": "*"})
