"""Globus Transfer errors: the `{code, message, request_id, resource}` document and its codes.

Routes and the task state machine raise `GlobusError` (or a factory below); the one handler in
`app.py` renders it, filling `resource` (the path without `/v0.10`, as the real service writes it)
and `request_id`. Codes are those of the doc's "Errors" tables and of the task-monitoring and file
operation APIs; `code` is hierarchical and dot-separated.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from emulators.core.errors import ServiceError

API_VERSION = "/v0.10"  # the Transfer API's prefix; an error's `resource` is the path below it

# The code a bare status gets (404/405/500 from routing, fault rules without a code).
DEFAULT_CODES = {
    400: "ClientError.BadRequest",
    401: "ClientError.AuthenticationFailed",
    403: "PermissionDenied",
    404: "ClientError.NotFound",
    405: "ClientError.BadMethod",
    409: "Conflict",
    413: "ClientError.RequestTooLarge",
    429: "ClientError.RequestLimitExceeded",
    502: "ExternalError",
    503: "ServiceUnavailable",
}
SERVER_ERROR_CODE = "ServerError.InternalError"


def resource_of(request: Request) -> str:
    """The path as the real service names it in `resource`: without the `/v0.10` prefix."""
    path = request.url.path
    return path[len(API_VERSION) :] if path.startswith(API_VERSION + "/") else path


class GlobusError(ServiceError):
    """An error answer of the Transfer API; `code` is always set."""

    code: str

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, message, code, headers)


def bad_request(message: str, code: str = "ClientError.BadRequest") -> GlobusError:
    """Doc 3.2.5: 400, "There is some problem in the request document"."""
    return GlobusError(400, code, message)


def no_transfer_items() -> GlobusError:
    return bad_request("A transfer requires at least one item", "ClientError.BadRequest.NoTransferItems")


def no_delete_items() -> GlobusError:
    return bad_request("A delete requires at least one item", "ClientError.BadRequest.NoDeleteItems")


def authentication_failed(message: str = "No Authentication provided.") -> GlobusError:
    return GlobusError(401, "ClientError.AuthenticationFailed", message)


def permission_denied(endpoint_id: str) -> GlobusError:
    """Doc 3.2.5: 403, no permission to use one of the endpoints."""
    return GlobusError(403, "PermissionDenied", f"No permission to use endpoint '{endpoint_id}'")


def endpoint_permission_denied(endpoint_id: str, path: str) -> GlobusError:
    message = f"Permission denied on endpoint '{endpoint_id}' for path '{path}'"
    return GlobusError(403, "EndpointPermissionDenied", message)


def not_found(message: str) -> GlobusError:
    return GlobusError(404, "ClientError.NotFound", message)


def task_not_found(task_id: str) -> GlobusError:
    return not_found(f"No task found with id '{task_id}'")


def endpoint_not_found(endpoint_id: str) -> GlobusError:
    return GlobusError(404, "EndpointNotFound", f"No such endpoint '{endpoint_id}'")


def no_credentials(endpoint_id: str) -> GlobusError:
    """Doc 3.2.5: 409, an endpoint is not activated or its activation expired."""
    return GlobusError(409, "NoCredException", f"Endpoint '{endpoint_id}' is not activated")


def host_deleted(endpoint_id: str) -> GlobusError:
    """Doc 3.2.5: 409, a shared endpoint whose host endpoint has been deleted."""
    return GlobusError(409, "Conflict", f"The host endpoint of shared endpoint '{endpoint_id}' was deleted")


def service_unavailable(message: str, retry_after: int) -> GlobusError:
    """Doc 3.2.5: 503, the service is down for maintenance; `Retry-After` says for how many more
    seconds (the SDK honours it on a 503, reference 1)."""
    return GlobusError(503, "ServiceUnavailable", message, {"Retry-After": str(max(retry_after, 1))})


def external(code: str, message: str) -> GlobusError:
    """502: the endpoint itself refused (the SDK does not retry `ExternalError.*`)."""
    return GlobusError(502, code, message)


def render_error(
    status: int,
    message: str | None,
    code: str | None = None,
    resource: str = "",
    request_id: str = "",
    headers: dict[str, str] | None = None,
) -> Response:
    """The documented error document for any status, always as application/json."""
    body = {
        "code": code or DEFAULT_CODES.get(status, SERVER_ERROR_CODE if status >= 500 else "ClientError"),
        "message": message or "Error",
        "request_id": request_id,
        "resource": resource,
    }
    return JSONResponse(body, status_code=status, headers=headers)
