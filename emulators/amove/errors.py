"""Amove errors: the Error Model's 499 `ValidationProblemDetails`, 401 and 500, both without a body.

Routes and state machines raise `AmoveError` (a 499 with one code of the Error Model's table) or
`unauthorized()`; the one renderer in `app.py` turns every error into one of three answers
(reference, B2): 499 `{"type": CODE, "status": 499, "errors": {CODE: [message]}}` with an
`error-code` header, 401 without a body, 500 without a body. "The API does not use the standard
400 / 403 / 404 codes", so a bad body, an unknown path or a wrong method answer 499 too.
"""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from emulators.core.errors import ServiceError
from emulators.core.service import ErrorAnswer

VALIDATION_STATUS = 499


class AmoveError(ServiceError):
    """A 499 answer with one Error Model code and its message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(VALIDATION_STATUS, message, code)


class Unauthorized(ServiceError):
    """401 without a body: no credentials, or credentials that do not authenticate."""

    def __init__(self, message: str = "Unauthorized") -> None:
        super().__init__(401, message)


def invalid(message: str) -> AmoveError:
    return AmoveError("DEFAULT", message)


def not_found(what: str) -> AmoveError:
    return AmoveError("NOT_FOUND", f"{what} not found.")


def access_denied(message: str) -> AmoveError:
    return AmoveError("ACCESS", message)


def validation_problem(code: str, message: str) -> Response:
    body = {"type": code, "status": VALIDATION_STATUS, "errors": {code: [message]}}
    return JSONResponse(body, status_code=VALIDATION_STATUS, headers={"error-code": code})


# Routing and body errors have no code of their own; the Error Model has no 400/404/405.
_KIND_CODES = {
    "bad_body": "DEFAULT",
    "not_found": "NOT_FOUND",
    "method_not_allowed": "DEFAULT",
    "http": "DEFAULT",
}


def render_error(answer: ErrorAnswer) -> Response:
    """Any error answer in the Error Model."""
    if answer.status == 401:
        return Response(status_code=401, headers={"WWW-Authenticate": "Bearer", **answer.headers})
    if answer.kind == "service" and answer.status == VALIDATION_STATUS and answer.code:
        return validation_problem(answer.code, answer.message or answer.code)
    if answer.kind in _KIND_CODES:
        return validation_problem(_KIND_CODES[answer.kind], answer.message or "The request is not valid.")
    if answer.kind == "fault" and answer.status == VALIDATION_STATUS:
        return validation_problem(answer.code or "DEFAULT", answer.message or "DEFAULT")
    return Response(status_code=answer.status)  # 500 and other injected statuses: no body
