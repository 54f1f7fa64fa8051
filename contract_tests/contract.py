"""A service's OpenAPI spec (`specs/<service>.yaml`) and the checks contract tests hold responses to.

`Contract.conforms(response, method, path)` fails on a status the operation does not declare, checks
the content type, validates the body against the declared schema (following `$ref`s to components),
and records which test exercised which (operation, status), so a module can assert at its end that
every documented status was reached.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
FORMATS = FormatChecker()


@FORMATS.checks("int64")
def _is_int64(value: object) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


def pointer(*parts: str) -> str:
    """A JSON pointer into the spec."""
    return "".join("/" + quote(p.replace("~", "~0").replace("/", "~1"), safe="~") for p in parts)


@dataclass
class Coverage:
    """Which test exercised which (method, path, status)."""

    current: str = ""
    ran: set[str] = field(default_factory=set)
    exercised: set[tuple[str, str, str, str]] = field(default_factory=set)


class Contract:
    """One service's spec, loaded from `specs/<name>.yaml`."""

    def __init__(self, name: str) -> None:
        self.text = (Path(__file__).parent / "specs" / f"{name}.yaml").read_text(encoding="utf-8")
        self.spec: dict[str, Any] = yaml.safe_load(self.text)
        self.uri = f"urn:transfer-emulators:contract:{name}"
        self.registry: Registry[Any] = Registry().with_resource(
            self.uri, Resource.from_contents(self.spec, default_specification=DRAFT202012)
        )
        self.coverage = Coverage()
        self._validator = cache(self._make_validator)

    @property
    def base(self) -> str:
        base: str = self.spec["servers"][0]["url"]
        return base

    def _make_validator(self, at: str) -> Draft202012Validator:
        return Draft202012Validator(
            {"$ref": f"{self.uri}#{at}"}, registry=self.registry, format_checker=FORMATS
        )

    def schema_errors(self, at: str, instance: Any) -> list[str]:
        """Every way `instance` breaks the spec's schema at the JSON pointer `at`."""
        found: list[str] = []
        pending = list(self._validator(at).iter_errors(instance))
        while pending:
            error = pending.pop()
            if error.context:  # anyOf / oneOf: report why the branches failed, not just that they did
                pending += [e for e in error.context if (e.validator, e.validator_value) != ("type", "null")]
            else:
                found.append(f"{'/'.join(map(str, error.absolute_path)) or '<body>'}: {error.message}")
        return sorted(found)

    def component(self, name: str) -> str:
        return pointer("components", "schemas", name)

    def operation(self, method: str, path: str) -> dict[str, Any]:
        op: dict[str, Any] = self.spec["paths"][path][method]
        return op

    def declared(self, method: str, path: str, status: str) -> dict[str, Any]:
        """The response declared for `status`, with a `$ref` to components/responses followed."""
        response: dict[str, Any] = self.operation(method, path)["responses"][status]
        ref = response.get("$ref")
        if ref is not None:
            response = self.spec["components"]["responses"][ref.rsplit("/", 1)[1]]
        return response

    def response_pointer(self, method: str, path: str, status: str, media_type: str) -> str:
        """The JSON pointer of the body schema declared for `status`."""
        ref = self.operation(method, path)["responses"][status].get("$ref")
        if ref is not None:
            return pointer("components", "responses", ref.rsplit("/", 1)[1], "content", media_type, "schema")
        return pointer("paths", path, method, "responses", status, "content", media_type, "schema")

    def declared_statuses(self) -> set[tuple[str, str, str]]:
        return {
            (method, path, status)
            for path, item in self.spec["paths"].items()
            for method, op in item.items()
            if method in METHODS
            for status in op["responses"]
        }

    def tracking(self, request: pytest.FixtureRequest) -> Iterator[None]:
        """The body of an autouse fixture: note the running test for `conforms`."""
        name = getattr(request.node, "originalname", request.node.name)
        self.coverage.current = name
        yield
        self.coverage.ran.add(name)

    def conforms(self, response: httpx.Response, method: str, path: str) -> Any:
        """Check a response against the spec's declaration for its status; its JSON body, or None."""
        status = str(response.status_code)
        responses = self.operation(method, path)["responses"]
        assert status in responses, (
            f"{method.upper()} {path} answered {status}, the spec declares only {sorted(responses)}: "
            f"{response.text}"
        )
        self.coverage.exercised.add((self.coverage.current, method, path, status))
        content = self.declared(method, path, status).get("content")
        if content is None:
            return None
        (media_type,) = content
        assert response.headers.get("content-type", "").split(";")[0].strip() == media_type
        body = response.json()
        problems = self.schema_errors(self.response_pointer(method, path, status, media_type), body)
        assert not problems, f"{method.upper()} {path} {status} body breaks the spec: {problems}\n{body}"
        return body
