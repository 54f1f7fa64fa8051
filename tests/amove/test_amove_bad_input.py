"""Bad input gets the Error Model's 499 or a 401, never a 500 (reference, B2): Hypothesis over the
transfer body (doc, "Transfer > Request Body") on transfer and calculate_cost."""

from __future__ import annotations

from typing import Any

from amove_helpers import SAMPLE_PAYLOAD, as_user
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulators.testing import Emulator

FIELDS = [*SAMPLE_PAYLOAD, "sourceBucketId", "sourceId", "destinationBucketId", "destinationId"]
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
VALUES = st.one_of(
    JSON,
    st.sampled_from(
        ["", "/", "photos/", "/photos/2024/beach.jpg", "../..", "00000000-0000-0000-0000-000000000000"]
    ),
)
BODIES = st.fixed_dictionaries({}, optional={name: VALUES for name in FIELDS}).map(
    lambda changes: {**SAMPLE_PAYLOAD, **changes}
) | st.dictionaries(st.sampled_from(FIELDS), VALUES)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES | JSON)
def test_any_transfer_body_gets_200_or_499_never_a_500(emulator: Emulator, body: Any) -> None:
    api = as_user(emulator)
    for path in ("/transfer/calculate_cost", "/transfer/transfer"):
        response = api.post(path, body)
        assert response.status_code in (200, 499), (path, body, response.status_code, response.text)
        if response.status_code == 499:
            document = response.json()
            assert document["status"] == 499 and list(document["errors"]) == [document["type"]]
