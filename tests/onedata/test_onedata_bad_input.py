"""Bad input never makes a 500: Hypothesis over the create body and query string (reference 1.1:
every bad document is a 400 with a documented id, or 401/403/404 once it is well formed)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onedata_helpers import API, KRAKOW, LISBON, SPACE, Onedata

from emulators.onedata.file_id import file_objectid

KEYS = [
    "type",
    "dataSourceType",
    "replicatingProviderId",
    "evictingProviderId",
    "fileId",
    "spaceId",
    "viewName",
    "queryViewParams",
    "callback",
    "unknownKey",
]
CREATE_400_IDS = {
    "malformedData",
    "missingRequiredValue",
    "badValueString",
    "badValueEmpty",
    "badValueNotAllowed",
    "badValueIdentifier",
    "badValueJSON",
    "badValueBoolean",
    "badValueInteger",
    "badValueTooLow",
    "spaceNotSupportedBy",
    "viewNotExistsOn",
    "posix",
}
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
plausible = st.sampled_from(
    [
        "replication",
        "eviction",
        "migration",
        "file",
        "view",
        KRAKOW,
        LISBON,
        SPACE,
        "MyImages",
        "",
        file_objectid("space_" + SPACE, SPACE),
        file_objectid("0123456789abcdef0123456789abcdefch0000", SPACE),
        "00000000004C3F52",
    ]
)
bodies = st.dictionaries(st.sampled_from(KEYS), plausible | json_values, max_size=8)
queries = st.dictionaries(st.sampled_from(KEYS), plausible | st.text(max_size=6), max_size=3)
raw_bodies = st.binary(max_size=40) | st.builds(lambda v: json.dumps(v).encode(), json_values)


def check(onedata: Onedata, response: Any) -> None:
    assert response.status_code in (201, 400, 401, 403, 404), response.text
    if response.status_code == 400:
        assert response.json()["error"]["id"] in CREATE_400_IDS


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=bodies, query=queries, token=st.sampled_from([None, "admin-token", "viewer-token", "bad"]))
def test_any_create_document_gets_a_documented_answer(
    onedata: Onedata, body: dict[str, Any], query: dict[str, str], token: str | None
) -> None:
    headers = {"X-Auth-Token": token} if token else {}
    response = onedata.client.post(f"{API}/transfers", json=body, params=query, headers=headers)
    check(onedata, response)


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(raw=raw_bodies)
def test_any_raw_body_gets_a_documented_answer(onedata: Onedata, raw: bytes) -> None:
    response = onedata.client.post(f"{API}/transfers", content=raw, headers=onedata.headers())
    check(onedata, response)
