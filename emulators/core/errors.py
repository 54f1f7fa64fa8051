"""Errors raised by the shared core.

    EmulatorError
    ├── ScenarioError        a scenario file or text is invalid; carries every problem found
    ├── ControlError         a control-API request cannot be served (status + message)
    ├── BadRequestBody       a service request body is not a JSON document of the expected size
    └── ServiceError         an answer in a service's own error format (each service subclasses it)

The core never renders a service's error body itself: every error a service sub-app meets (its own
`ServiceError`, a bad body, a 404 or 405, an unexpected exception, a fault rule's answer) becomes an
`ErrorAnswer` (see `emulators.core.service`) that the service's one renderer turns into its format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


class EmulatorError(Exception):
    """Base of every error the core raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where it is and what is wrong."""

    file: str
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.key or '(top)'}: {self.message}"


class ScenarioError(EmulatorError):
    """A scenario did not load; `problems` lists every error, each with file, line and key."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class ControlError(EmulatorError):
    """A control-API request that cannot be served."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class BadRequestBody(EmulatorError):
    """A request body that is too large, not JSON, or not the expected JSON type."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ServiceError(EmulatorError):
    """An error answer of an emulated service: the HTTP status, the message, the service's own code
    (if its format has one), extra headers and structured details (for formats whose errors carry
    arguments, such as the offending key). Routes and state machines raise it (or a service's
    subclass); the service's renderer words the body."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}
        self.details = details
