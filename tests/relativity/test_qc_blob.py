"""The QC report is served like an Azure blob: ranged reads, properties, conditions, HEAD.

Azure clients download a blob in ranges (`x-ms-range`) and need `Content-Range` back, so the
report must answer them as Azure would; the last test downloads it with azure-storage-blob itself.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from azure.storage.blob import BlobClient, generate_container_sas
from conftest import Relativity
from hypothesis import given, settings
from hypothesis import strategies as st

from emulators.app import create_app
from emulators.relativity import qc
from emulators.relativity.scenario import DEV_ACCOUNT, DEV_ACCOUNT_KEY
from emulators.testing import ControlClient, Emulator, LiveEmulator
from emulators.testing.transport import InProcessTransport


def ready_report(relativity: Relativity, container: str = "small") -> str:
    """Create a job, run it to its end and past the report's generation; the report's path."""
    job_id = relativity.create(container)
    relativity.run_until_final(job_id)
    relativity.advance(3_600)
    url = httpx.URL(relativity.qc(job_id).json()["sasUrl"])
    return url.raw_path.decode()


def test_a_plain_read_has_the_blob_properties(relativity: Relativity):
    path = ready_report(relativity)
    whole = relativity.client.get(path)
    assert whole.status_code == 200
    assert whole.headers["content-length"] == str(len(whole.content))
    assert whole.headers["x-ms-blob-type"] == "BlockBlob"
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["etag"].startswith('"0x')
    assert whole.headers["last-modified"].endswith(" GMT")
    assert whole.headers["content-type"].startswith("text/csv")
    assert whole.text.startswith("file,size,status,error_code\n")


@pytest.mark.parametrize("header", ["x-ms-range", "Range"])
def test_a_ranged_read_answers_206_with_content_range(relativity: Relativity, header: str):
    path = ready_report(relativity)
    whole = relativity.client.get(path).content
    part = relativity.client.get(path, headers={header: "bytes=5-24"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 5-24/{len(whole)}"
    assert part.content == whole[5:25]
    tail = relativity.client.get(path, headers={header: "bytes=10-"})
    assert (tail.status_code, tail.content) == (206, whole[10:])
    beyond = relativity.client.get(path, headers={header: f"bytes=0-{10 * len(whole)}"})
    assert beyond.headers["content-range"] == f"bytes 0-{len(whole) - 1}/{len(whole)}"


def test_a_range_past_the_end_is_416_invalid_range(relativity: Relativity):
    path = ready_report(relativity)
    size = len(relativity.client.get(path).content)
    answer = relativity.client.get(path, headers={"x-ms-range": f"bytes={size}-"})
    assert answer.status_code == 416
    assert answer.headers["x-ms-error-code"] == "InvalidRange"
    assert answer.headers["content-range"] == f"bytes */{size}"
    assert "<Code>InvalidRange</Code>" in answer.text


def test_if_match_with_another_etag_is_412(relativity: Relativity):
    path = ready_report(relativity)
    etag = relativity.client.get(path).headers["etag"]
    assert relativity.client.get(path, headers={"If-Match": etag}).status_code == 200
    other = relativity.client.get(path, headers={"If-Match": '"0xOTHER"'})
    assert (other.status_code, other.headers["x-ms-error-code"]) == (412, "ConditionNotMet")


def test_head_gives_the_properties_without_the_body(relativity: Relativity):
    path = ready_report(relativity)
    size = len(relativity.client.get(path).content)
    head = relativity.client.head(path)
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == str(size)


@pytest.fixture(scope="module")
def large_report() -> Iterator[tuple[httpx.Client, str, bytes]]:
    """A 10,001-row report (many chunks), its path and its bytes, shared by the module's examples."""
    app = create_app(clock="manual")
    with httpx.Client(transport=InProcessTransport(app), base_url="http://emulator.test") as client:
        relativity = Relativity(Emulator(app, client, ControlClient(client)))
        path = ready_report(relativity, "files-10k")
        whole = client.get(path).content
        assert whole.count(b"\n") == 10_001
        yield client, path, whole


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(first=st.integers(0, 10**6), length=st.integers(1, 300_000))
def test_any_range_of_a_large_report_is_those_bytes_of_the_whole(
    large_report: tuple[httpx.Client, str, bytes], first: int, length: int
):
    client, path, whole = large_report
    first %= len(whole)
    last = min(first + length, len(whole)) - 1
    part = client.get(path, headers={"x-ms-range": f"bytes={first}-{last}"})
    assert part.headers["content-range"] == f"bytes {first}-{last}/{len(whole)}"
    assert part.content == whole[first : last + 1]


@pytest.mark.live
def test_azure_storage_blob_downloads_the_report_in_ranges(emulator_server: LiveEmulator):
    headers = {"Authorization": "Bearer relativity-dev-token"}
    api = f"{emulator_server.url}/transfer-service/api/v2/transfer/jobs"
    sas = generate_container_sas(
        DEV_ACCOUNT,
        "files-10k",
        account_key=DEV_ACCOUNT_KEY,
        permission="rl",
        expiry=emulator_server.control.now() + timedelta(days=8),
    )
    job_id = str(uuid.uuid4())
    body = {
        "transferJobID": job_id,
        "sourcePath": f"https://{DEV_ACCOUNT}.blob.core.windows.net/files-10k?{sas}",
        "destinationPath": r"\\files.t001.ctus000001.r1.kcura.com\T001\ARM\Live",
    }
    assert httpx.post(api, headers=headers, json=body).status_code == 200
    emulator_server.control.advance(86_400)
    sas_url = httpx.get(f"{api}/{job_id}/qc", headers=headers).json()["sasUrl"]
    plain = httpx.get(sas_url).content

    # Small ranges, so the client makes many ranged calls and checks each Content-Range.
    blob = BlobClient.from_blob_url(sas_url, max_single_get_size=64 * 1024, max_chunk_get_size=64 * 1024)
    assert blob.get_blob_properties().size == len(plain)
    downloaded = blob.download_blob(max_concurrency=2).readall()
    assert downloaded == plain
    rows = list(csv.reader(io.StringIO(downloaded.decode())))
    assert rows[0] == ["file", "size", "status", "error_code"] and len(rows) == 10_001
    assert blob.download_blob(offset=100, length=50).readall() == plain[100:150]
    requests = emulator_server.control.requests(path="/transfer-service/qc/")
    assert sum(r["status"] == 206 for r in requests) > 3


@given(
    st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(',"\r\n'), max_size=20),
    st.integers(min_value=0, max_value=2**40),
    st.sampled_from([None, "ER_99999", "ER_20005"]),
)
def test_a_report_row_is_what_csv_writer_writes(name: str, size: int, code: str | None) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow((name, size, "failed" if code else "completed", code or ""))
    assert qc.row(name, size, code) == out.getvalue()


def test_the_report_is_generated_once_however_often_it_is_read(
    relativity: Relativity, monkeypatch: pytest.MonkeyPatch
) -> None:
    generated: list[int] = []
    original = qc.report_chunks

    def counting(job: object, first: int = 0) -> Iterator[bytes]:
        generated.append(first)
        return original(job, first)  # type: ignore[arg-type]

    monkeypatch.setattr(qc, "report_chunks", counting)
    path = ready_report(relativity)
    bodies = [relativity.client.get(path).content for _ in range(3)]
    ranged = relativity.client.get(path, headers={"x-ms-range": "bytes=5-20"})
    assert bodies[0] == bodies[1] == bodies[2]
    assert ranged.content == bodies[0][5:21]
    assert generated == [0]
