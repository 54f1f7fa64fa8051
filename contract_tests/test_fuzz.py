"""Fuzzing the emulators with requests generated from their contract specs (Schemathesis as the
generator, `Contract.conforms` as the judge): never a 500, and every answer a status and body the
spec declares for the operation.

`make test` runs a quick profile (a few examples per operation); `make contract` a deep one
(`EMULATORS_FUZZ_EXAMPLES`, 1,000 per operation). Requests carry the default scenario's token, so
they reach past authentication; the clock is manual, the emulator in process and seeded, and
Hypothesis is derandomised, so a run repeats.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from contract import Contract
from hypothesis import HealthCheck, settings

from emulators.app import create_app
from emulators.testing.transport import InProcessTransport

EXAMPLES = int(os.environ.get("EMULATORS_FUZZ_EXAMPLES", "8"))
SPECS = Path(__file__).parent / "specs"
TOKENS = {"relativity": "relativity-dev-token", "globus": "globus-dev-token"}
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


class Fuzzed:
    """One service's spec, an in-process emulator and a client for it."""

    def __init__(self, name: str) -> None:
        self.contract = Contract(name)
        self.app = create_app(clock="manual")
        self.client = httpx.Client(transport=InProcessTransport(self.app), base_url="http://emulator.test")
        self.headers = {"Authorization": f"Bearer {TOKENS[name]}"}

    def send(self, case: Any) -> httpx.Response:
        kwargs = case.as_transport_kwargs(base_url="http://emulator.test" + self.contract.base)
        headers = {**{k: str(v) for k, v in (kwargs.get("headers") or {}).items()}, **self.headers}
        return self.client.request(
            kwargs["method"],
            kwargs["url"],
            params=kwargs.get("params"),
            headers=headers,
            json=kwargs.get("json"),
            content=kwargs.get("data") if isinstance(kwargs.get("data"), bytes | str) else None,
        )


relativity_schema = schemathesis.openapi.from_path(SPECS / "relativity.yaml")
globus_schema = schemathesis.openapi.from_path(SPECS / "globus.yaml")


@pytest.fixture(scope="module")
def relativity() -> Iterator[Fuzzed]:
    fuzzed = Fuzzed("relativity")
    yield fuzzed
    fuzzed.client.close()


@pytest.fixture(scope="module")
def globus() -> Iterator[Fuzzed]:
    fuzzed = Fuzzed("globus")
    yield fuzzed
    fuzzed.client.close()


def judge(fuzzed: Fuzzed, case: Any) -> None:
    response = fuzzed.send(case)
    assert response.status_code != 500, f"{case.method} {case.formatted_path}: {response.text}"
    method = case.method.lower()
    if method not in fuzzed.contract.spec["paths"][case.path]:
        # A method the operation does not have (Schemathesis tries them): refused, not served.
        assert response.status_code == 405, f"{case.method} {case.formatted_path}: {response.status_code}"
        return
    fuzzed.contract.conforms(response, method, case.path)


@relativity_schema.parametrize()
@FUZZ
def test_relativity_answers_generated_requests_as_its_spec_says(case: Any, relativity: Fuzzed) -> None:
    judge(relativity, case)


@globus_schema.parametrize()
@FUZZ
def test_globus_answers_generated_requests_as_its_spec_says(case: Any, globus: Fuzzed) -> None:
    judge(globus, case)
