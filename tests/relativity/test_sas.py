"""SAS URLs given to the Relativity Transfer Service as sourcePath, checked against azure-storage-blob."""

from __future__ import annotations

import base64
import hashlib
import hmac
import string
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

import pytest
from azure.storage.blob import (
    ContainerSasPermissions,
    ResourceTypes,
    generate_account_sas,
    generate_blob_sas,
    generate_container_sas,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from emulators.relativity.sas import (
    SasError,
    SasUrl,
    delegation_string_to_sign,
    parse_sas_url,
    sign_blob_url,
    sign_container_url,
    string_to_sign,
    verify_delegation_signature,
    verify_signature,
)

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
OTHER_KEY = base64.b64encode(b"another storage account key, 64 bytes long......................").decode()
START = datetime(2030, 1, 1, tzinfo=UTC)
EXPIRY = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
BLOB_HOST = f"https://{ACCOUNT}.blob.core.windows.net"
GOOD_QUERY = "se=2030-01-02T03%3A04%3A05Z&sp=rl&sv=2025-11-05&sr=c&sig=abc%3D"


def container_token(hook: list[str] | None = None) -> str:
    return generate_container_sas(
        ACCOUNT,
        "src",
        account_key=KEY,
        permission=ContainerSasPermissions(read=True, list=True),
        expiry=EXPIRY,
        start=START,
        protocol="https,http",
        sts_hook=None if hook is None else hook.append,
    )


@pytest.mark.parametrize(
    ("base", "host", "endpoint", "port", "path"),
    [
        (f"{BLOB_HOST}/src", f"{ACCOUNT}.blob.core.windows.net", "blob", None, ""),
        (f"http://127.0.0.1:10000/{ACCOUNT}/src/custodian1", "127.0.0.1", "emulator", 10000, "custodian1"),
    ],
)
def test_sdk_container_sas_parses_and_verifies(
    base: str, host: str, endpoint: str, port: int | None, path: str
):
    sts: list[str] = []
    sas = parse_sas_url(f"{base}?{container_token(sts)}")
    assert (sas.account, sas.container, sas.path) == (ACCOUNT, "src", path)
    assert (sas.host, sas.endpoint, sas.port) == (host, endpoint, port)
    assert sas.permissions == "rl"
    assert sas.resource == "c"
    assert sas.start == START
    assert sas.expiry == EXPIRY
    assert sas.params["spr"] == "https,http"
    assert not sas.is_account_sas
    assert string_to_sign(sas) == sts[0]
    assert verify_signature(sas, KEY)
    assert not verify_signature(sas, OTHER_KEY)


def test_container_signature_matches_the_published_example():
    sas = parse_sas_url(f"{BLOB_HOST}/src?{container_token()}")
    if sas.version == "2026-10-06":
        assert sas.signature == "HzjtVPY2VUMBNl14dud+TPHmQU3a2n9+4aoIyF24l64="
    assert string_to_sign(sas).split("\n")[:4] == [
        "rl",
        "2030-01-01T00:00:00Z",
        "2030-01-02T03:04:05Z",
        f"/blob/{ACCOUNT}/src",
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("sp=rl", "sp=rwl"),
        ("se=2030-01-02T03%3A04%3A05Z", "se=2031-01-02T03%3A04%3A05Z"),
        ("st=2030-01-01T00%3A00%3A00Z", "st=2029-01-01T00%3A00%3A00Z"),
        ("sr=c", "sr=c&si=policy"),
    ],
)
def test_tampered_parameters_fail_verification(old: str, new: str):
    token = container_token()
    assert old in token
    sas = parse_sas_url(f"{BLOB_HOST}/src?{token.replace(old, new)}")
    assert not verify_signature(sas, KEY)


def test_tampered_signature_fails_verification():
    sas = parse_sas_url(f"{BLOB_HOST}/src?{container_token()}")
    sig = sas.signature
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    tampered = parse_sas_url(sas.url.replace(quote(sig, safe="/"), quote(flipped, safe="/")))
    assert tampered.signature == flipped
    assert not verify_signature(tampered, KEY)


def test_key_that_is_not_base64_gives_false():
    sas = parse_sas_url(f"{BLOB_HOST}/src?{container_token()}")
    assert verify_signature(sas, "not base64 at all!") is False
    assert verify_signature(sas, "é") is False


def test_sdk_directory_sas_on_dfs_host_verifies():
    sts: list[str] = []
    token = generate_blob_sas(
        ACCOUNT, "src", "dir1/sub", account_key=KEY, permission="rl", expiry=EXPIRY, is_directory=True,
        sts_hook=sts.append,
    )  # fmt: skip
    sas = parse_sas_url(f"https://{ACCOUNT}.dfs.core.windows.net/src/dir1/sub/?{token}")
    assert (sas.endpoint, sas.container, sas.path) == ("dfs", "src", "dir1/sub")
    assert sas.resource == "d"
    assert sas.params["sdd"] == "2"
    assert string_to_sign(sas) == sts[0]
    assert f"\n/blob/{ACCOUNT}/src/dir1/sub\n" in sts[0]
    assert verify_signature(sas, KEY)
    moved = parse_sas_url(f"https://{ACCOUNT}.dfs.core.windows.net/src/dir1/other?{token}")
    assert not verify_signature(moved, KEY)


def test_sdk_blob_sas_verifies_only_for_its_blob():
    token = generate_blob_sas(
        ACCOUNT, "src", "custodian1/a b+c.txt", account_key=KEY, permission="r", expiry=EXPIRY
    )
    sas = parse_sas_url(f"{BLOB_HOST}/src/custodian1/a%20b%2Bc.txt?{token}")
    assert sas.path == "custodian1/a b+c.txt"
    assert verify_signature(sas, KEY)
    assert not verify_signature(parse_sas_url(f"{BLOB_HOST}/src/custodian1/b.txt?{token}"), KEY)


def test_sdk_account_sas_verifies():
    sts: list[str] = []
    token = generate_account_sas(
        ACCOUNT,
        KEY,
        ResourceTypes(service=True, container=True, object=True),
        "rl",
        EXPIRY,
        sts_hook=sts.append,
    )
    sas = parse_sas_url(f"{BLOB_HOST}/src/custodian1?{token}")
    assert sas.is_account_sas
    assert sas.resource is None
    assert (sas.params["ss"], sas.params["srt"]) == ("b", "sco")
    assert string_to_sign(sas) == sts[0]
    assert string_to_sign(sas).endswith("\n")
    assert verify_signature(sas, KEY)
    assert not verify_signature(parse_sas_url(sas.url.replace("sp=rl", "sp=rwl")), KEY)


def sign_by_hand(text: str) -> str:
    digest = hmac.new(base64.b64decode(KEY), text.encode(), hashlib.sha256).digest()
    return quote(base64.b64encode(digest).decode(), safe="/")


def test_pre_2020_12_06_service_sas_has_no_encryption_scope_line():
    # The SDK always signs with its own newest version, so this older form is built by hand
    # from the documented layout (no 'ses' line between the snapshot time and 'rscc').
    text = "\n".join(
        ["r", "", "2030-01-02T00:00:00Z", f"/blob/{ACCOUNT}/src/a.txt", "", "", "", "2019-12-12", "b", ""]
    )
    text += "\n" * 5
    url = (
        f"{BLOB_HOST}/src/a.txt?se=2030-01-02T00%3A00%3A00Z&sp=r&sv=2019-12-12&sr=b&sig={sign_by_hand(text)}"
    )
    sas = parse_sas_url(url)
    assert string_to_sign(sas) == text
    assert verify_signature(sas, KEY)


@pytest.mark.parametrize("version", ["2015-04-05", "2017-07-29", "2018-03-28"])
def test_a_service_sas_before_2018_11_09_signs_no_resource_or_snapshot_lines(version: str):
    # As older SDKs (the .NET WindowsAzure.Storage 9.x, say) still sign them, built by hand from the
    # documented layout: permissions, start, expiry, resource, identifier, IP, protocol, version,
    # then the five response headers.
    text = "\n".join(["rl", "", "2030-01-02T00:00:00Z", f"/blob/{ACCOUNT}/src", "", "", "", version])
    text += "\n" * 5
    query = f"se=2030-01-02T00%3A00%3A00Z&sp=rl&sv={version}&sr=c"
    sas = parse_sas_url(f"{BLOB_HOST}/src?{query}&sig={sign_by_hand(text)}")
    assert string_to_sign(sas) == text
    assert verify_signature(sas, KEY)
    assert not verify_signature(
        parse_sas_url(f"{BLOB_HOST}/src?{query.replace('rl', 'r')}&sig={sign_by_hand(text)}"), KEY
    )


@pytest.mark.parametrize(
    "query",
    [
        "sr=bs&sv=2025-11-05",
        "sr=b&skoid=oid&sv=2025-11-05",
        "sr=b&sv=2014-02-14",
        "sr=d&sdd=1&sv=2019-12-12",
        "ss=b&srt=o&sv=2014-02-14",
        "sv=2025-11-05",
    ],
)
def test_unsupported_forms_raise_sas_error(query: str):
    sas = parse_sas_url(f"{BLOB_HOST}/src/a.txt?se=2030-01-02&sp=r&sig=x&{query}")
    with pytest.raises(SasError):
        verify_signature(sas, KEY)


def test_blob_sas_without_a_blob_path_raises_sas_error():
    with pytest.raises(SasError, match="needs a blob"):
        string_to_sign(parse_sas_url(f"{BLOB_HOST}/src?se=2030-01-02&sp=r&sv=2025-11-05&sr=b&sig=x"))


def test_sign_blob_url_round_trips_on_a_path_style_base():
    url = sign_blob_url(
        "http://127.0.0.1:8700/transfer-service",
        "transfer-service",
        "qc",
        "reports/x.csv",
        KEY,
        permissions="r",
        expiry=datetime(2030, 1, 1, 1, 2, 3, tzinfo=timezone(timedelta(hours=2))),
    )
    assert url.startswith(
        "http://127.0.0.1:8700/transfer-service/qc/reports/x.csv?se=2029-12-31T23%3A02%3A03Z&"
    )
    assert "st=" not in url
    sas = parse_sas_url(url)
    assert (sas.account, sas.container, sas.path, sas.endpoint) == (
        "transfer-service",
        "qc",
        "reports/x.csv",
        "emulator",
    )
    assert (sas.permissions, sas.resource, sas.version) == ("r", "b", "2025-11-05")
    assert sas.expiry == datetime(2029, 12, 31, 23, 2, 3, tzinfo=UTC)
    assert verify_signature(sas, KEY)
    assert not verify_signature(sas, OTHER_KEY)


def test_sign_container_url_signs_what_generate_container_sas_signs():
    token = generate_container_sas(ACCOUNT, "src", account_key=KEY, permission="rl", expiry=EXPIRY)
    sdk = parse_sas_url(f"{BLOB_HOST}/src?{token}")
    ours = parse_sas_url(
        sign_container_url(
            BLOB_HOST, ACCOUNT, "src", KEY, permissions="rl", expiry=EXPIRY, version=sdk.version
        )
    )
    assert (ours.resource, ours.container, ours.path, ours.permissions) == ("c", "src", "", "rl")
    assert ours.signature == sdk.signature
    assert verify_signature(ours, KEY)
    with pytest.raises(SasError, match="permissions"):
        sign_container_url(BLOB_HOST, ACCOUNT, "src", KEY, permissions="", expiry=EXPIRY)


def test_sign_blob_url_matches_the_sdk_and_quotes_names():
    token = generate_blob_sas(
        ACCOUNT, "src", "dir/a b.txt", account_key=KEY, permission="r", expiry=EXPIRY, start=START
    )
    sdk = parse_sas_url(f"{BLOB_HOST}/src/dir/a%20b.txt?{token}")
    url = sign_blob_url(
        BLOB_HOST + "/", ACCOUNT, "src", "dir/a b.txt", KEY,
        permissions="r", expiry=EXPIRY, start=START, version=sdk.version,
    )  # fmt: skip
    assert url.startswith(f"{BLOB_HOST}/src/dir/a%20b.txt?st=2030-01-01T00%3A00%3A00Z&se=")
    assert url == sdk.url
    sas = parse_sas_url(url)
    assert sas.path == "dir/a b.txt"
    assert sas.start == START
    assert verify_signature(sas, KEY)


def test_a_single_label_host_is_path_style_like_azurite():
    sas = parse_sas_url(f"http://azurite:10000/devstoreaccount1/src/dir?{GOOD_QUERY}")
    assert (sas.endpoint, sas.account, sas.container, sas.path) == (
        "emulator",
        "devstoreaccount1",
        "src",
        "dir",
    )


def test_sign_blob_url_rejects_a_bad_key():
    with pytest.raises(SasError, match="base64"):
        sign_blob_url(BLOB_HOST, ACCOUNT, "qc", "x.csv", "%%%", permissions="r", expiry=EXPIRY)


def test_times_are_parsed_without_comparing_to_now():
    past = parse_sas_url(
        f"{BLOB_HOST}/src?se=2001-02-03&st=2000-01-01T00%3A00Z&sp=r&sv=2025-11-05&sr=c&sig=x"
    )
    assert past.expiry == datetime(2001, 2, 3, tzinfo=UTC)
    assert past.start == datetime(2000, 1, 1, tzinfo=UTC)
    future = parse_sas_url(
        f"{BLOB_HOST}/src?se=2999-12-31T23%3A59%3A59.1234567%2B01%3A00&sp=r&sv=2025-11-05&sr=c&sig=x"
    )
    assert future.expiry == datetime(2999, 12, 31, 22, 59, 59, 123456, tzinfo=UTC)
    assert future.start is None
    assert future.expiry.tzinfo is not None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "empty"),
        (f"{BLOB_HOST}/src?se=2030-01-02&sp=r&sv=2025-11-05&sr=c", "'sig'"),
        (f"{BLOB_HOST}/src?se=2030-01-02&sp=r&sr=c&sig=x", "'sv'"),
        (f"{BLOB_HOST}/src?sp=r&sv=2025-11-05&sr=c&sig=x", "'se'"),
        (f"https://example.com/x?{GOOD_QUERY}", "host"),
        (f"https://a.b.blob.core.windows.net/src?{GOOD_QUERY}", "account"),
        (f"ftp://{ACCOUNT}.blob.core.windows.net/src?{GOOD_QUERY}", "scheme"),
        (f"{ACCOUNT}.blob.core.windows.net/src?{GOOD_QUERY}", "scheme"),
        (f"{BLOB_HOST}/src?se=notatime&sp=r&sv=2025-11-05&sr=c&sig=x", "'se'"),
        (f"{BLOB_HOST}/src?se=2030-13-01&sp=r&sv=2025-11-05&sr=c&sig=x", "calendar"),
        (f"{BLOB_HOST}/src?st=2030-01-01T10%3A00&se=2030-01-02&sp=r&sv=2025-11-05&sr=c&sig=x", "'st'"),
        (f"{BLOB_HOST}/src?se=2030-01-02&sp=r&sv=latest&sr=c&sig=x", "'sv'"),
        (f"{BLOB_HOST}?{GOOD_QUERY}", "container"),
        (f"{BLOB_HOST}/?{GOOD_QUERY}", "container"),
        (f"http://127.0.0.1:10000/{ACCOUNT}?{GOOD_QUERY}", "container"),
        (f"http://localhost:10000/?{GOOD_QUERY}", "account"),
        (f"{BLOB_HOST}/src?{GOOD_QUERY}&sig=again", "repeats"),
        (f"{BLOB_HOST}/src%zz?{GOOD_QUERY}", "'%'"),
        (f"{BLOB_HOST}/src?{GOOD_QUERY}%2", "'%'"),
        (f"{BLOB_HOST}/src%ff?{GOOD_QUERY}", "UTF-8"),
        ("http://127.0.0.1:99999/a/b?" + GOOD_QUERY, "parsed"),
    ],
)
def test_malformed_urls_raise_sas_error(url: str, message: str):
    with pytest.raises(SasError, match=message) as caught:
        parse_sas_url(url)
    text = str(caught.value)
    assert text.endswith(".")
    assert "\n" not in text


def test_non_string_is_a_sas_error():
    with pytest.raises(SasError):
        parse_sas_url(None)  # type: ignore[arg-type]


def test_host_forms_accepted():
    for base, endpoint, account in [
        (f"https://{ACCOUNT}.DFS.core.windows.net/src", "dfs", ACCOUNT),
        ("http://localhost:10000/acct/src", "emulator", "acct"),
        ("http://[::1]:10000/acct/src", "emulator", "acct"),
        ("https://10.1.2.3/acct/src", "emulator", "acct"),
    ]:
        sas = parse_sas_url(f"{base}/dir/?{GOOD_QUERY}")
        assert (sas.endpoint, sas.account, sas.container, sas.path) == (endpoint, account, "src", "dir")
        assert sas.signature == "abc="


def test_sas_url_is_hashable_and_frozen():
    sas = parse_sas_url(f"{BLOB_HOST}/src?{GOOD_QUERY}")
    assert isinstance(hash(sas), int)
    with pytest.raises(AttributeError):
        sas.account = "x"  # type: ignore[misc]


url_like = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["", "https://", f"{BLOB_HOST}/", "http://127.0.0.1:10000/", "http://[", "https://x/?"]),
    st.text(alphabet=string.printable),
)


@settings(derandomize=True, database=None, max_examples=400)
@given(st.one_of(st.text(alphabet=string.printable), url_like, st.text()))
def test_parse_returns_sas_url_or_raises_sas_error(text: str):
    try:
        result = parse_sas_url(text)
    except SasError as exc:
        assert str(exc)
    else:
        assert isinstance(result, SasUrl)
        assert result.signature and result.version and result.expiry is not None


@pytest.mark.parametrize(
    ("version", "extra_lines"),
    [("2020-02-10", []), ("2021-08-06", ["ses"]), ("2025-07-05", ["ses"]), ("2026-10-06", ["ses", "", ""])],
)
def test_a_user_delegation_sas_signs_the_lines_of_its_version(version: str, extra_lines: list[str]):
    """Reference, A5: the user delegation fields (skoid ... skv, then saoid, suoid, scid) follow the
    canonical resource; the encryption scope joins at 2020-12-06, the delegated user's tenant and
    object ids at 2025-07-05."""
    key = base64.b64encode(b"delegation key").decode()
    params = {
        "sp": "rl",
        "se": "2030-01-02T03:04:05Z",
        "skoid": "oid",
        "sktid": "tid",
        "skt": "2030-01-01T00:00:00Z",
        "ske": "2030-01-03T00:00:00Z",
        "sks": "b",
        "skv": version,
        "sv": version,
        "sr": "c",
    }
    delegated = ["", ""] if version >= "2025-07-05" else []
    lines = ["rl", "", params["se"], f"/blob/{ACCOUNT}/src", "oid", "tid", params["skt"], params["ske"], "b"]
    lines += [version, "", "", "", *delegated, "", "", version, "c", ""]
    lines += ["" for _ in extra_lines] + [""] * 5
    digest = hmac.new(base64.b64decode(key), "\n".join(lines).encode(), hashlib.sha256).digest()
    params["sig"] = base64.b64encode(digest).decode()
    sas = parse_sas_url(f"{BLOB_HOST}/src?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items()))
    assert delegation_string_to_sign(sas) == "\n".join(lines)
    assert verify_delegation_signature(sas, key)
    assert not verify_delegation_signature(sas, OTHER_KEY)
