"""Azure Blob / ADLS shared access signature (SAS) URLs for the Relativity Transfer Service emulator.

This module owns everything the emulator knows about SAS URLs: taking a job's `sourcePath` apart
(`parse_sas_url`), rebuilding the string-to-sign Azure Storage uses for service SAS (`sr` of `c`, `d`
or `b`) and account SAS (`string_to_sign`) and for user delegation SAS (`delegation_string_to_sign`),
checking a signature against an account key (`verify_signature`) or a delegation key
(`verify_delegation_signature`) and issuing signed blob and container URLs (`sign_blob_url`,
`sign_container_url`). It never reads the clock: whether a SAS is inside its validity window is for
the caller to decide from `SasUrl.start`, `SasUrl.expiry` and, for a user delegation SAS,
`key_start` / `key_expiry`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote, unquote, unquote_plus, urlsplit

__all__ = [
    "SasError",
    "SasUrl",
    "delegation_string_to_sign",
    "parse_sas_url",
    "sign_blob_url",
    "sign_container_url",
    "string_to_sign",
    "verify_delegation_signature",
    "verify_signature",
]

_AZURE_SUFFIXES = {".blob.core.windows.net": "blob", ".dfs.core.windows.net": "dfs"}
_ACCOUNT_NAME = re.compile(r"[a-z0-9]{3,24}")
_VERSION = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,7}))?)?(Z|[+-][0-9]{2}:[0-9]{2}))?"
)
_NOT_SAS = "sourcePath is not a SAS URL: "


class SasError(ValueError):
    """A URL that is not a usable SAS URL; `str()` is a one-sentence message fit for an HTTP 400 body."""


def _parse_time(name: str, value: str) -> datetime:
    """Parse an Azure SAS time (`st`/`se`) into an aware UTC datetime."""
    match = _TIME.fullmatch(value)
    if match is None:
        raise SasError(f"{_NOT_SAS}the '{name}' parameter is not an ISO 8601 UTC time.")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        tz = UTC
        if zone and zone != "Z":
            sign = -1 if zone[0] == "-" else 1
            tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
        micro = int((fraction or "").ljust(6, "0")[:6])
        parsed = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro, tz
        )
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise SasError(f"{_NOT_SAS}the '{name}' parameter is not a valid calendar time.") from None


def _decode(raw: str, *, plus: bool) -> str:
    """Percent-decode strictly: a stray '%' or bytes that are not UTF-8 raise SasError."""
    if _BAD_PERCENT.search(raw):
        raise SasError(f"{_NOT_SAS}it contains a '%' that is not followed by two hex digits.")
    try:
        return (unquote_plus if plus else unquote)(raw, errors="strict")
    except UnicodeDecodeError:
        raise SasError(f"{_NOT_SAS}its percent-encoded bytes are not valid UTF-8.") from None


def _locate(url: str) -> tuple[str, str, int | None, str, str, str, str]:
    """Split a URL's location into (scheme, host, port, account, endpoint, container, path)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise SasError(f"{_NOT_SAS}it cannot be parsed as a URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host or "@" in parts.netloc:
        raise SasError(f"{_NOT_SAS}it needs an http or https scheme and a host.")
    raw_path = parts.path[1:] if parts.path.startswith("/") else parts.path
    endpoint = next((kind for suffix, kind in _AZURE_SUFFIXES.items() if host.endswith(suffix)), None)
    if endpoint is not None:
        account = host.split(".", 1)[0]
        if not _ACCOUNT_NAME.fullmatch(account) or host.count(".") != 4:
            raise SasError(f"{_NOT_SAS}the host does not name a valid storage account.")
    elif "." not in host or _is_ip(host):
        # Path-style, like Azurite: an IP literal or a single-label name (localhost, a compose service).
        endpoint = "emulator"
        raw_account, _, raw_path = raw_path.partition("/")
        account = _decode(raw_account, plus=False)
        if not account:
            raise SasError(f"{_NOT_SAS}the emulator URL's path names no storage account.")
    else:
        raise SasError(f"{_NOT_SAS}the host is not an Azure Blob, ADLS or local emulator endpoint.")
    raw_container, _, raw_blob = raw_path.partition("/")
    container = _decode(raw_container, plus=False)
    if not container:
        raise SasError(f"{_NOT_SAS}the path names no container.")
    return scheme, host, port, account, endpoint, container, _decode(raw_blob, plus=False).strip("/")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class SasUrl:
    """A parsed SAS URL: where it points and the decoded SAS query parameters it carries."""

    url: str
    scheme: str
    host: str
    port: int | None
    account: str
    endpoint: str
    container: str
    path: str
    params: dict[str, str] = field(hash=False)

    @property
    def permissions(self) -> str:
        """The signed permissions (`sp`) exactly as sent, or "" when absent."""
        return self.params.get("sp", "")

    @property
    def resource(self) -> str | None:
        """The signed resource (`sr`: `c`, `d`, `b`, ...) or None for an account SAS."""
        return self.params.get("sr")

    @property
    def start(self) -> datetime | None:
        """The signed start (`st`) as an aware UTC datetime, or None when absent."""
        value = self.params.get("st")
        return _parse_time("st", value) if value else None

    @property
    def expiry(self) -> datetime | None:
        """The signed expiry (`se`) as an aware UTC datetime, or None when absent."""
        value = self.params.get("se")
        return _parse_time("se", value) if value else None

    @property
    def version(self) -> str:
        """The signed storage version (`sv`)."""
        return self.params.get("sv", "")

    @property
    def signature(self) -> str:
        """The base64 signature (`sig`)."""
        return self.params.get("sig", "")

    @property
    def key_start(self) -> datetime | None:
        """A user delegation SAS's key start (`skt`), or None when absent."""
        value = self.params.get("skt")
        return _parse_time("skt", value) if value else None

    @property
    def key_expiry(self) -> datetime | None:
        """A user delegation SAS's key expiry (`ske`), or None when absent."""
        value = self.params.get("ske")
        return _parse_time("ske", value) if value else None

    @property
    def is_user_delegation(self) -> bool:
        """True for a user delegation SAS: signed with a delegation key of an Entra ID principal."""
        return "skoid" in self.params

    @property
    def valid_until(self) -> datetime | None:
        """When the SAS stops working: its expiry, or its delegation key's if that comes first."""
        ends = [when for when in (self.expiry, self.key_expiry) if when is not None]
        return min(ends) if ends else None

    @property
    def is_account_sas(self) -> bool:
        """True for an account SAS: it has `ss` or `srt` and no `sr`."""
        return ("ss" in self.params or "srt" in self.params) and "sr" not in self.params


def parse_sas_url(url: str) -> SasUrl:
    """Parse a blob, dfs or path-style emulator SAS URL; raise SasError when it is not usable."""
    if not isinstance(url, str) or not url.strip():
        raise SasError(f"{_NOT_SAS}it is empty or not a string.")
    scheme, host, port, account, endpoint, container, path = _locate(url)
    params: dict[str, str] = {}
    for piece in urlsplit(url).query.split("&"):
        if not piece:
            continue
        raw_name, _, raw_value = piece.partition("=")
        name = _decode(raw_name, plus=True)
        if name in params:
            raise SasError(f"{_NOT_SAS}the query repeats the {name!r} parameter.")
        params[name] = _decode(raw_value, plus=True)
    for required in ("sig", "sv", "se"):
        if not params.get(required):
            raise SasError(f"{_NOT_SAS}the query has no '{required}' parameter.")
    if not _VERSION.fullmatch(params["sv"]):
        raise SasError(f"{_NOT_SAS}the 'sv' parameter is not a YYYY-MM-DD service version.")
    sas = SasUrl(url, scheme, host, port, account, endpoint, container, path, params)
    _ = sas.start, sas.expiry, sas.key_start, sas.key_expiry  # validate the times so reads cannot fail
    return sas


def string_to_sign(sas: SasUrl) -> str:
    """The string Azure Storage signs for this SAS; raise SasError for a form it cannot rebuild."""
    p, version = sas.params, sas.version
    if sas.is_account_sas:
        if version < "2015-04-05":
            raise SasError(f"SAS version {version} is older than the supported 2015-04-05.")
        fields = [sas.account, sas.permissions] + [p.get(k, "") for k in ("ss", "srt", "st", "se", "sip")]
        fields += [p.get("spr", ""), version] + ([p.get("ses", "")] if version >= "2020-12-06" else [])
        return "\n".join(fields) + "\n"
    if "skoid" in p:
        raise SasError("A user delegation SAS cannot be checked against an account key.")
    if sas.resource is None:
        raise SasError("The SAS has neither 'sr' nor 'ss'/'srt', so it is no service or account SAS.")
    if sas.resource not in ("c", "d", "b"):
        raise SasError(f"SAS resource type sr={sas.resource!r} is not supported; use c, d or b.")
    if version < "2015-04-05":
        raise SasError(f"SAS version {version} is older than the supported 2015-04-05.")
    if sas.resource == "d" and version < "2020-02-10":
        raise SasError(f"A directory SAS (sr=d) needs version 2020-02-10 or later, not {version}.")
    fields = [
        sas.permissions,
        p.get("st", ""),
        p.get("se", ""),
        _canonical(sas),
        p.get("si", ""),
        p.get("sip", ""),
    ]
    fields += [p.get("spr", ""), version]
    if version >= "2018-11-09":  # the signed resource and snapshot time ("": unused for c/d/b) join
        fields += [sas.resource, ""]
    if version >= "2020-12-06":
        fields.append(p.get("ses", ""))
    fields += [p.get(k, "") for k in ("rscc", "rscd", "rsce", "rscl", "rsct")]
    return "\n".join(fields)


def _canonical(sas: SasUrl) -> str:
    canonical = f"/blob/{sas.account}/{sas.container}"
    if sas.resource != "c":
        if not sas.path:
            raise SasError(f"A SAS with sr={sas.resource} needs a blob or directory path in the URL.")
        canonical += "/" + sas.path
    return canonical


def delegation_string_to_sign(sas: SasUrl) -> str:
    """The string a user delegation SAS signs with its delegation key; raise SasError for a form it
    cannot rebuild. The lines by version, as azure-storage-blob writes them: the key's fields after
    the resource; the agent object ids and correlation id (2020-02-10 on); the encryption scope
    (2020-12-06 on); the delegated user's tenant and object ids (2025-07-05 on); the signed request
    headers and query parameters, empty here (2026-04-06 on)."""
    p, version = sas.params, sas.version
    if sas.resource not in ("c", "d", "b"):
        raise SasError(f"SAS resource type sr={sas.resource!r} is not supported; use c, d or b.")
    if version < "2020-02-10":
        raise SasError(f"A user delegation SAS of version {version} is older than the supported 2020-02-10.")
    keys = ("skoid", "sktid", "skt", "ske", "sks", "skv", "saoid", "suoid", "scid")
    fields = [sas.permissions, p.get("st", ""), p.get("se", ""), _canonical(sas)] + [
        p.get(k, "") for k in keys
    ]
    if version >= "2025-07-05":
        fields += [p.get("skdutid", ""), p.get("sduoid", "")]
    fields += [p.get("sip", ""), p.get("spr", ""), version, sas.resource, ""]
    if version >= "2020-12-06":
        fields.append(p.get("ses", ""))
    if version >= "2026-04-06":
        fields += ["", ""]
    fields += [p.get(k, "") for k in ("rscc", "rscd", "rsce", "rscl", "rsct")]
    return "\n".join(fields)


def verify_delegation_signature(sas: SasUrl, key_value: str) -> bool:
    """True when `sig` is the HMAC-SHA256 of the user delegation string-to-sign under `key_value` (the
    base64 value of the delegation key); False for a key that is not valid base64."""
    try:
        expected = _sign(key_value, delegation_string_to_sign(sas))
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(expected.encode("ascii"), sas.signature.encode("utf-8"))


def _sign(account_key: str, text: str) -> str:
    key = base64.b64decode(account_key, validate=True)
    return base64.b64encode(hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()).decode("ascii")


def verify_signature(sas: SasUrl, account_key: str) -> bool:
    """True when `sig` is the HMAC-SHA256 of the string-to-sign under the base64 `account_key`.

    A key that is not valid base64 gives False; an unsupported SAS form raises SasError.
    """
    text = string_to_sign(sas)
    try:
        expected = _sign(account_key, text)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(expected.encode("ascii"), sas.signature.encode("utf-8"))


def _format_time(when: datetime) -> str:
    """Azure's SAS time form; a naive datetime is taken to be UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_blob_url(
    base_url: str,
    account: str,
    container: str,
    blob: str,
    account_key: str,
    *,
    permissions: str,
    expiry: datetime,
    start: datetime | None = None,
    version: str = "2025-11-05",
) -> str:
    """A blob URL `{base_url}/{container}/{blob}` carrying a service SAS (`sr=b`) signed with `account_key`.

    `base_url` is an account endpoint (`https://ACCOUNT.blob.core.windows.net` or a path-style
    `http://HOST:PORT/ACCOUNT`) and is not checked: the signature covers `account`, `container` and
    `blob` as given. Raises SasError for a missing permission or blob name, or a bad key.
    """
    if not blob.strip("/"):
        raise SasError("A signed blob URL needs a blob name.")
    return _signed_url(
        base_url, account, container, blob.strip("/"), account_key, permissions, expiry, start, version
    )


def sign_container_url(
    base_url: str,
    account: str,
    container: str,
    account_key: str,
    *,
    permissions: str,
    expiry: datetime,
    version: str = "2025-11-05",
) -> str:
    """A container URL `{base_url}/{container}` carrying a service SAS (`sr=c`) signed with `account_key`.

    The same SAS `generate_container_sas` of azure-storage-blob makes; raises SasError as
    `sign_blob_url` does.
    """
    return _signed_url(base_url, account, container, "", account_key, permissions, expiry, None, version)


def _signed_url(
    base_url: str,
    account: str,
    container: str,
    blob: str,
    account_key: str,
    permissions: str,
    expiry: datetime,
    start: datetime | None,
    version: str,
) -> str:
    """`{base_url}/{container}[/{blob}]` with a service SAS for the blob (the container when `blob` is "")."""
    if not permissions or not _VERSION.fullmatch(version):
        raise SasError("A signed URL needs permissions and a YYYY-MM-DD version.")
    location = f"{base_url.rstrip('/')}/{quote(container, safe='')}"
    if blob:
        location += f"/{quote(blob, safe='/')}"
    params = {"st": _format_time(start)} if start is not None else {}
    params |= {"se": _format_time(expiry), "sp": permissions, "sv": version, "sr": "b" if blob else "c"}
    text = string_to_sign(SasUrl(location, "", "", None, account, "", container, blob, dict(params)))
    try:
        params["sig"] = _sign(account_key, text)
    except (binascii.Error, ValueError):
        raise SasError("The account key is not valid base64.") from None
    return location + "?" + "&".join(f"{k}={quote(v, safe='/')}" for k, v in params.items())
