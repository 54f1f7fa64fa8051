"""Fuzzing the emulators with requests generated from their contract specs (Schemathesis as the
generator, `Contract.conforms` as the judge): never a 500, and every answer a status and body the
spec declares for the operation.

`make test` runs a quick profile (a few examples per operation); `make contract` a deep one
(`EMULATORS_FUZZ_EXAMPLES`, 1,000 per operation). Requests carry valid credentials of the default
scenario (a bearer token, Onedata's `X-Auth-Token`, an Amove JWT from the login flow), so they reach
past authentication. Random ids would stop every request at "not found", so generated documents
may also take the ids of things that exist (the scenario's spaces, files, providers and cloud
accounts, and transfers each module starts with): a field named in `KNOWN` is either left as
generated or replaced by one of its known values, the choice being Hypothesis's own. A known value
written `<name>` is looked up when the request is sent (a transfer's id, a fresh one-shot request
token). The clock is manual, the emulator in process and seeded, and Hypothesis is derandomised, so
a run repeats.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import schemathesis
from contract import Contract
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from emulators.app import create_app
from emulators.testing import ControlClient
from emulators.testing.transport import InProcessTransport

sys.path.insert(0, str(Path(__file__).parent.parent / "tests" / "amove"))
from amove_helpers import ADMIN, S3, SAMPLE_PAYLOAD, WASABI, login, request_token  # the Amove test helpers

EXAMPLES = int(os.environ.get("EMULATORS_FUZZ_EXAMPLES", "8"))
SPECS = Path(__file__).parent / "specs"
SCENARIOS = Path(__file__).parent.parent / "scenarios"
BASE_URL = "http://emulator.test"
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

ONEDATA_SPACE = "6ec1a5413b6f4e2b01a5c85a8fd797e2"
KRAKOW = "5f8a2c4e9b1d3f7a6c0e2b4d8f1a3c5ech7d21"
LISBON = "9c3e1a7b5d2f4a6c8e0b1d3f5a7c9e2bch4b8e"
PARIS = "2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1cch93a0"
ONEDATA_PATHS = ["My Space 1", "My Space 1/images/cat.png", "My Space 1/Dir2", "My Space 1/no-such-file"]
AMOVE_USERNAME, AMOVE_PASSWORD, AMOVE_TYPE = ADMIN

# Per service: a field (path parameter, query parameter or body key) → the values it may take instead
# of a generated one. `<name>` stands for `Fuzzed.known[name]`, or a fresh request token.
KNOWN: dict[str, dict[str, list[Any]]] = {
    "relativity": {},
    "globus": {},
    "onedata": {
        "tid": ["<ended-transfer>", "<waiting-transfer>"],
        "sid": [ONEDATA_SPACE],
        "spaceId": [ONEDATA_SPACE],
        "id": [ONEDATA_SPACE, "<file>", "<directory>"],
        "fileId": ["<file>", "<directory>"],
        "path": ONEDATA_PATHS,
        "type": ["replication", "eviction", "migration"],
        "dataSourceType": ["file", "view"],
        "replicatingProviderId": [KRAKOW, LISBON, PARIS],
        "evictingProviderId": [KRAKOW, LISBON, PARIS],
        "viewName": ["MyImages"],
        "token": ["onedata-dev-token", "onedata-viewer-token"],
    },
    "amove": {
        "requestToken": ["<request-token>"],
        "username": [AMOVE_USERNAME],
        "password": [AMOVE_PASSWORD],
        "type": [AMOVE_TYPE],
        "id": ["<ended-transfer>", "<running-transfer>", "<cloud-account>", "<api-token>"],
        "cloudAccountId": [S3, WASABI],
        "sourceCloudAccountId": [S3],
        "destinationCloudAccountId": [WASABI],
        "bucketName": ["source-bucket", "dest-bucket"],
        "sourceBucket": ["source-bucket"],
        "destinationBucket": ["dest-bucket"],
        "sourcePath": ["/photos/", "/docs/readme.txt"],
        "sortfield": ["Name", "percent", "requestDate"],
    },
}


class Fuzzed:
    """One service's spec, an in-process emulator, credentials for it and the ids that exist."""

    def __init__(
        self, name: str, prepare: Callable[[Fuzzed], dict[str, str]], scenario: str = "default"
    ) -> None:
        self.name = name
        self.contract = Contract(name)
        self.app = create_app([SCENARIOS / f"{scenario}.yaml"], clock="manual")
        self.client = httpx.Client(transport=InProcessTransport(self.app), base_url=BASE_URL)
        self.control = ControlClient(self.client)
        self.headers: dict[str, str] = {}
        self.known: dict[str, str] = {}
        self.headers = prepare(self)

    def resolved(self, values: Any, encoded: bool = False) -> Any:
        """A generated dict with each `<name>` value replaced by what it stands for (a fresh request
        token, or `known[name]`); anything else as it is. Path parameters come `encoded`."""
        if not isinstance(values, dict):
            return values
        return {
            k: self.stands_for(unquote(v) if encoded and isinstance(v, str) else v, v)
            for k, v in values.items()
        }

    def stands_for(self, value: Any, otherwise: Any) -> Any:
        if not (isinstance(value, str) and len(value) > 2 and value[0] == "<" and value[-1] == ">"):
            return otherwise
        name = value[1:-1]
        return request_token(self.client) if name == "request-token" else self.known[name]

    def send(self, case: Any) -> httpx.Response:
        case.path_parameters = self.resolved(case.path_parameters, encoded=True)
        case.query = self.resolved(case.query)
        case.body = self.resolved(case.body)
        servers = self.contract.spec["paths"][case.path].get("servers", self.contract.spec["servers"])
        kwargs = case.as_transport_kwargs(base_url=BASE_URL + servers[0]["url"])
        headers = {**{k: str(v) for k, v in (kwargs.get("headers") or {}).items()}, **self.headers}
        return self.client.request(
            kwargs["method"],
            kwargs["url"],
            params=kwargs.get("params"),
            headers=headers,
            json=kwargs.get("json"),
            content=kwargs.get("data") if isinstance(kwargs.get("data"), bytes | str) else None,
        )

    def json(self, method: str, path: str, body: Any = None) -> Any:
        response = self.client.request(method, path, json=body, headers=self.headers)
        assert response.status_code in (200, 201), response.text
        return response.json() if response.content else None


def bearer(token: str) -> Callable[[Fuzzed], dict[str, str]]:
    return lambda _: {"Authorization": f"Bearer {token}"}


def prepare_onedata(fuzzed: Fuzzed) -> dict[str, str]:
    """X-Auth-Token of the space's admin; a file, a directory, an ended and a waiting transfer."""
    fuzzed.headers = {"X-Auth-Token": "onedata-dev-token"}
    lookup = "/api/v3/oneprovider/lookup-file-id/"
    fuzzed.known["file"] = fuzzed.json("POST", lookup + "My Space 1/images/cat.png")["fileId"]
    fuzzed.known["directory"] = fuzzed.json("POST", lookup + "My Space 1/Dir2")["fileId"]
    replicate = {
        "type": "replication",
        "replicatingProviderId": KRAKOW,
        "dataSourceType": "file",
        "fileId": fuzzed.known["file"],
    }
    for name, seconds in (("ended-transfer", 3600), ("waiting-transfer", 0)):
        fuzzed.known[name] = fuzzed.json("POST", "/api/v3/oneprovider/transfers", replicate)["transferId"]
        fuzzed.control.advance(seconds)
    return fuzzed.headers


def prepare_amove(fuzzed: Fuzzed) -> dict[str, str]:
    """An API token, a cloud account of its own, an ended transfer of the samples' payload (some of
    its objects failed, so it can be retried) and a running one; then a fresh JWT of the account
    admin from the login flow."""
    fuzzed.headers = {"Authorization": f"Bearer {login(fuzzed.client)}"}
    expires = (fuzzed.app.state.host.world.clock.now() + timedelta(days=30)).isoformat()
    token = {"title": "fuzz", "isEncrypted": False, "expirationDate": expires}
    fuzzed.known["api-token"] = fuzzed.json("POST", "/api/v1/apitoken/insert", token)["id"]
    account = {"cloudType": 2, "name": "Fuzzed Wasabi", "accessKey": "k" * 20, "secretKey": "s" * 20}
    fuzzed.known["cloud-account"] = fuzzed.json("POST", "/api/v1/cloudaccount/insert", account)["id"]
    for name, seconds in (("ended-transfer", 600), ("running-transfer", 6)):
        fuzzed.json("POST", "/api/v1/transfer/transfer", {**SAMPLE_PAYLOAD, "allowSkip": False})
        fuzzed.control.advance(seconds)
        newest = fuzzed.json("GET", "/api/v1/transfer/get_all")["data"][0]
        fuzzed.known[name] = newest["id"]
    return {"Authorization": f"Bearer {login(fuzzed.client)}"}


def undeclared_method(fuzzed: Fuzzed, response: httpx.Response, label: str) -> None:
    """A method the operation does not have (Schemathesis tries them): refused, not served. Amove's
    Error Model has no 405 (reference, B2), so there it is a 499 in that model."""
    if fuzzed.name != "amove":
        assert response.status_code == 405, f"{label}: {response.status_code}"
        return
    assert response.status_code == 499, f"{label}: {response.status_code}"
    problems = fuzzed.contract.schema_errors(fuzzed.contract.component("ValidationProblem"), response.json())
    assert not problems, f"{label}: {problems}"


def judge(fuzzed: Fuzzed, case: Any) -> None:
    response = fuzzed.send(case)
    label = f"{case.method} {response.request.url}"
    assert response.status_code != 500, f"{label}: {response.text}"
    method = case.method.lower()
    if method not in fuzzed.contract.spec["paths"][case.path]:
        undeclared_method(fuzzed, response, label)
        return
    fuzzed.contract.conforms(response, method, case.path)
    if response.status_code == 499:
        assert response.headers["error-code"] == response.json()["type"], label  # Amove, reference B2


def planted(service: str) -> Callable[[Any, Any], Any]:
    """A flatmap hook: each known field of a generated dict keeps its value or takes a known one."""
    known = KNOWN[service]

    def plant(context: Any, values: Any) -> Any:
        if not isinstance(values, dict) or not set(values) & set(known):
            return st.just(values)
        return st.fixed_dictionaries(
            {
                key: st.sampled_from([value, *known[key]]) if key in known else st.just(value)
                for key, value in values.items()
            }
        )

    return plant


def fuzzing_schema(service: str) -> Any:
    schema = schemathesis.openapi.from_path(SPECS / f"{service}.yaml")
    for part in ("path_parameters", "query", "body"):
        schema.hook(f"flatmap_{part}")(planted(service))
    return schema


relativity_schema = fuzzing_schema("relativity")
globus_schema = fuzzing_schema("globus")
onedata_schema = fuzzing_schema("onedata")
amove_schema = fuzzing_schema("amove")


def fuzzed(
    name: str, prepare: Callable[[Fuzzed], dict[str, str]], scenario: str = "default"
) -> Iterator[Fuzzed]:
    service = Fuzzed(name, prepare, scenario)
    yield service
    service.client.close()


@pytest.fixture(scope="module")
def relativity() -> Iterator[Fuzzed]:
    yield from fuzzed("relativity", bearer("relativity-dev-token"))


@pytest.fixture(scope="module")
def globus() -> Iterator[Fuzzed]:
    yield from fuzzed("globus", bearer("globus-dev-token"))


@pytest.fixture(scope="module")
def onedata() -> Iterator[Fuzzed]:
    yield from fuzzed("onedata", prepare_onedata)


@pytest.fixture(scope="module")
def amove() -> Iterator[Fuzzed]:
    yield from fuzzed("amove", prepare_amove, "amove-retry")


@relativity_schema.parametrize()
@FUZZ
def test_relativity_answers_generated_requests_as_its_spec_says(case: Any, relativity: Fuzzed) -> None:
    judge(relativity, case)


@globus_schema.parametrize()
@FUZZ
def test_globus_answers_generated_requests_as_its_spec_says(case: Any, globus: Fuzzed) -> None:
    judge(globus, case)


@onedata_schema.parametrize()
@FUZZ
def test_onedata_answers_generated_requests_as_its_spec_says(case: Any, onedata: Fuzzed) -> None:
    judge(onedata, case)


@amove_schema.parametrize()
@FUZZ
def test_amove_answers_generated_requests_as_its_spec_says(case: Any, amove: Fuzzed) -> None:
    judge(amove, case)
