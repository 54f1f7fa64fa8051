"""Hypothesis strategies for SignalR hub messages and for cutting a byte stream into frames."""

from __future__ import annotations

import itertools

from hypothesis import strategies as st

from emulators.amove.signalr import (
    Ack,
    CancelInvocation,
    Close,
    Completion,
    HubMessage,
    Invocation,
    Ping,
    Sequence,
    StreamInvocation,
    StreamItem,
)

short_text = st.text(max_size=12)
headers = st.dictionaries(short_text, short_text, max_size=3)
stream_ids = st.lists(short_text, max_size=3).map(tuple)
sequence_ids = st.integers(min_value=0, max_value=2**63 - 1)

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | short_text
)
json_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(short_text, inner, max_size=4),
    max_leaves=12,
)
msgpack_values = st.recursive(
    _scalars | st.binary(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(short_text, inner, max_size=4),
    max_leaves=12,
)


def hub_messages(values: st.SearchStrategy[object]) -> st.SearchStrategy[HubMessage]:
    """Any hub message, with payloads drawn from `values`."""
    arguments = st.lists(values, max_size=4)
    completions = (
        st.builds(Completion, short_text, headers=headers)
        | st.builds(Completion, short_text, result=values, headers=headers)
        | st.builds(Completion, short_text, error=short_text, headers=headers)
    )
    return st.one_of(
        st.builds(
            Invocation,
            short_text,
            arguments,
            invocation_id=st.none() | short_text,
            stream_ids=stream_ids,
            headers=headers,
        ),
        st.builds(StreamItem, short_text, values, headers=headers),
        completions,
        st.builds(
            StreamInvocation, short_text, short_text, arguments, stream_ids=stream_ids, headers=headers
        ),
        st.builds(CancelInvocation, short_text, headers=headers),
        st.just(Ping()),
        st.builds(Close, error=st.none() | short_text, allow_reconnect=st.booleans()),
        st.builds(Ack, sequence_ids),
        st.builds(Sequence, sequence_ids),
    )


@st.composite
def frames(draw: st.DrawFn, stream: bytes) -> list[bytes]:
    """The stream cut at arbitrary points: empty frames, single bytes and mid-character cuts included."""
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=len(stream)), max_size=8)))
    edges = [0, *cuts, len(stream)]
    return [stream[start:end] for start, end in itertools.pairwise(edges)]
