"""Signed links and ranged downloads, as the core offers them to every service."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import Headers
from starlette.responses import Response

from emulators.core.downloads import Download, LinkSigner, Refusal, ranged_response

NOW = datetime(2030, 1, 1, tzinfo=UTC)
DATA = bytes(range(256)) * 4


def signed(signer: LinkSigner, path: str, minutes: float = 10) -> dict[str, str]:
    return dict(parse_qsl(signer.sign(path, NOW + timedelta(minutes=minutes))))


def test_a_link_is_valid_until_it_expires_and_only_for_its_path() -> None:
    signer = LinkSigner(b"s" * 32)
    query = signed(signer, "/reports/1.csv")
    assert signer.verify("/reports/1.csv", query, NOW) == "valid"
    assert signer.verify("/reports/1.csv", query, NOW + timedelta(minutes=10)) == "expired"
    assert signer.verify("/reports/2.csv", query, NOW) == "forged"
    assert (
        signer.verify("/reports/1.csv", {**query, "expires": str(int(query["expires"]) + 3600)}, NOW)
        == "forged"
    )
    assert signer.verify("/reports/1.csv", {}, NOW) == "forged"


def test_another_secret_neither_makes_nor_accepts_the_link() -> None:
    one, two = LinkSigner(b"1" * 32), LinkSigner(b"2" * 32)
    assert two.verify("/r", signed(one, "/r"), NOW) == "forged"
    assert one.key("a") != one.key("b") and one.key("a") != two.key("a") and len(one.key("a")) == 32


def read(first: int, last: int) -> Iterator[bytes]:
    for start in range(first, last + 1, 100):  # generated in chunks, never whole
        yield DATA[start : min(start + 100, last + 1)]


DOWNLOAD = Download(len(DATA), '"e1"', NOW, "text/csv", read)


def refuse(reason: Refusal, headers: dict[str, str]) -> Response:
    return Response(reason, 412 if reason == "precondition_failed" else 416, headers=headers)


def body(response: Response) -> bytes:
    async def collect() -> bytes:
        chunks = [c async for c in response.body_iterator]  # type: ignore[attr-defined]
        return b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)

    return asyncio.run(collect())


def test_a_plain_get_streams_the_whole_file_with_its_properties() -> None:
    response = ranged_response(DOWNLOAD, "GET", Headers({}), refuse)
    assert response.status_code == 200
    assert (response.headers["content-length"], response.headers["etag"]) == (str(len(DATA)), '"e1"')
    assert body(response) == DATA


@given(st.integers(0, len(DATA) - 1), st.integers(0, 2 * len(DATA)))
def test_a_range_answers_206_with_exactly_those_bytes(first: int, length: int) -> None:
    last = first + length
    response = ranged_response(DOWNLOAD, "GET", Headers({"range": f"bytes={first}-{last}"}), refuse)
    end = min(last, len(DATA) - 1)
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes {first}-{end}/{len(DATA)}"
    assert body(response) == DATA[first : end + 1]


def test_refusals_and_head() -> None:
    past = ranged_response(DOWNLOAD, "GET", Headers({"range": f"bytes={len(DATA)}-"}), refuse)
    assert (past.status_code, past.headers["content-range"]) == (416, f"bytes */{len(DATA)}")
    stale = ranged_response(DOWNLOAD, "GET", Headers({"if-match": '"other"'}), refuse)
    assert stale.status_code == 412
    assert ranged_response(DOWNLOAD, "GET", Headers({"if-match": '"e1"'}), refuse).status_code == 200
    head = ranged_response(
        DOWNLOAD, "HEAD", Headers({"x-first": "bytes=0-1"}), refuse, range_header="x-first"
    )
    assert (head.status_code, head.headers["content-length"], head.body) == (206, "2", b"")
