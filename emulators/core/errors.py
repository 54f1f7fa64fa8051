"""Errors raised by the shared core.

    EmulatorError
    ├── ScenarioError        a scenario file or text is invalid; carries every problem found
    ├── ControlError         a control-API request cannot be served (status + message)
    └── BadRequestBody       a service request body is not a JSON document of the expected size

Services translate `BadRequestBody` into their own error format; the core never renders a
service's error body itself.
"""

from __future__ import annotations

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
