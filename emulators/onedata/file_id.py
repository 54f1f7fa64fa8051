"""Onedata file ids: guids, CDMI object ids and datastore keys, built the way Oneprovider builds them.

This module owns the three id forms a Onedata client sees (reference, 5.1):

- a file **uuid** is a datastore key (`new_datastore_key`), except the special ones such as a space's
  root directory, `space_<spaceId>` (`space_root_uuid`);
- a **guid** is `base64url("guid#" + uuid + "#" + spaceId)` without padding, and a share guid is
  `base64url("shareGuid#" + uuid + "#" + spaceId + "#" + shareId)` (`pack_guid`, `unpack_guid`);
- the **objectid** the REST API speaks is the CDMI object id over the guid's decoded bytes D:
  `00 | 000000 (enterprise number 0) | 00 | len(D) | CRC-16/ARC, big-endian | D`, hex-encoded in upper
  case (`encode_objectid`, `decode_objectid`, `guid_to_objectid`, `objectid_to_guid`, and for a
  file at once `file_objectid`, `parse_file_objectid`).

Everything here is a pure function of its arguments: no I/O, no HTTP and no randomness of its own (a
new key is drawn from the generator the caller passes, the World's seeded one). Malformed input
raises `FileIdError`, a `ValueError`; the service decides which error document that becomes (for a
body field, 400 `badValueIdentifier`).

Where the real service is more lenient, this module is stricter on purpose, so an emulated client
cannot come to rely on a malformed id being accepted: the real decoder checks neither the length
byte nor the CRC, builds ids of up to 320 data bytes although the length byte wraps above 255, and
takes a guid it cannot read for a bare uuid. Like the real decoder, it does not insist on enterprise
number 0.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "FileGuid",
    "FileIdError",
    "RandomBits",
    "crc16_arc",
    "decode_objectid",
    "encode_objectid",
    "file_objectid",
    "guid_to_objectid",
    "new_datastore_key",
    "objectid_to_guid",
    "pack_guid",
    "parse_file_objectid",
    "space_root_objectid",
    "space_root_uuid",
    "unpack_guid",
]

_GUID_PREFIX = "guid"
_SHARE_GUID_PREFIX = "shareGuid"
_SEPARATOR = "#"
_HEADER_BYTES = 8
_MAX_DATA_BYTES = 255  # the length field is one byte
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})*")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class FileIdError(ValueError):
    """A guid or objectid that Onedata would not have made; `str()` says what is wrong with it."""


class RandomBits(Protocol):
    """The part of `random.Random` a new key needs (the World's seeded generator satisfies it)."""

    def getrandbits(self, k: int, /) -> int: ...


@dataclass(frozen=True)
class FileGuid:
    """What a guid names: a file's uuid in a space, seen through a share when `share_id` is set."""

    uuid: str
    space_id: str
    share_id: str | None = None


def crc16_arc(data: bytes) -> int:
    """CRC-16/ARC (the CDMI object id checksum): polynomial 0x8005 reflected, initial value 0.

    >>> hex(crc16_arc(b"123456789"))
    '0xbb3d'
    """
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def encode_objectid(data: bytes) -> str:
    """The CDMI objectid (upper-case hex) carrying `data`, with enterprise number 0."""
    if len(data) > _MAX_DATA_BYTES:
        raise FileIdError(f"an objectid carries at most {_MAX_DATA_BYTES} bytes, not {len(data)}")
    header = bytes([0, 0, 0, 0, 0, len(data)])
    # Reference, 5.1: the CRC covers the 8-byte header with the CRC field zeroed, then the data.
    crc = crc16_arc(header + b"\x00\x00" + data)
    return (header + crc.to_bytes(2, "big") + data).hex().upper()


def decode_objectid(objectid: str) -> bytes:
    """The data an objectid carries; either hex case is accepted, the length and CRC are checked."""
    if _HEX.fullmatch(objectid) is None:
        raise FileIdError("an objectid is an even number of hexadecimal digits")
    raw = bytes.fromhex(objectid)
    if len(raw) < _HEADER_BYTES:
        raise FileIdError(f"an objectid has an {_HEADER_BYTES}-byte header")
    if raw[0] != 0 or raw[4] != 0:
        raise FileIdError("an objectid's reserved bytes are zero")
    data = raw[_HEADER_BYTES:]
    if raw[5] != len(data):
        raise FileIdError(f"the objectid's length byte says {raw[5]} but {len(data)} bytes follow")
    crc = crc16_arc(raw[:6] + b"\x00\x00" + data)
    if int.from_bytes(raw[6:8], "big") != crc:
        raise FileIdError("the objectid's CRC does not match its contents")
    return data


def pack_guid(uuid: str, space_id: str, share_id: str | None = None) -> str:
    """The guid of a file's uuid in a space (a share guid when `share_id` is given)."""
    parts = [uuid, space_id] if share_id is None else [uuid, space_id, share_id]
    if any(_SEPARATOR in part for part in parts):
        raise FileIdError(f"ids inside a guid cannot contain {_SEPARATOR!r}")
    prefix = _GUID_PREFIX if share_id is None else _SHARE_GUID_PREFIX
    return _base64url(_SEPARATOR.join([prefix, *parts]).encode())


def unpack_guid(guid: str) -> FileGuid:
    """The uuid, space and share a guid names."""
    return _parse_guid_text(_unbase64url(guid))


def guid_to_objectid(guid: str) -> str:
    """The objectid of a guid: the CDMI object id over the guid's decoded bytes."""
    return encode_objectid(_unbase64url(guid))


def objectid_to_guid(objectid: str) -> str:
    """The guid an objectid carries."""
    return _base64url(decode_objectid(objectid))


def file_objectid(uuid: str, space_id: str, share_id: str | None = None) -> str:
    """The objectid clients see for a file's uuid in a space (through a share, if given)."""
    return guid_to_objectid(pack_guid(uuid, space_id, share_id))


def parse_file_objectid(objectid: str) -> FileGuid:
    """The uuid, space and share an objectid names (its data must be a guid's decoded bytes)."""
    return _parse_guid_text(decode_objectid(objectid))


def space_root_uuid(space_id: str) -> str:
    """The uuid of a space's root directory."""
    return f"space_{space_id}"


def space_root_objectid(space_id: str) -> str:
    """The objectid of a space's root directory (what `/data/{spaceId}` resolves to)."""
    return file_objectid(space_root_uuid(space_id), space_id)


def new_datastore_key(rng: RandomBits) -> str:
    """A new id in the datastore's format since 19.02.1: 32 random hex digits, `ch`, and a random
    4-digit label, all lower case (e.g. `2727a9fe5f5df6b43a8033386d2990e8ch5df6`).

    Transfer, file, space and provider ids all take this form (reference, 5.1).
    """
    return f"{rng.getrandbits(128):032x}ch{rng.getrandbits(16):04x}"


def _parse_guid_text(data: bytes) -> FileGuid:
    try:
        text = data.decode()
    except UnicodeDecodeError:
        raise FileIdError("a guid's contents are text") from None
    prefix, *parts = text.split(_SEPARATOR)
    if prefix == _GUID_PREFIX and len(parts) == 2:
        return FileGuid(parts[0], parts[1])
    if prefix == _SHARE_GUID_PREFIX and len(parts) == 3:
        return FileGuid(parts[0], parts[1], parts[2])
    raise FileIdError('a guid reads "guid#<uuid>#<spaceId>" or "shareGuid#<uuid>#<spaceId>#<shareId>"')


def _base64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _padded(text: str) -> str:
    return text + "=" * (-len(text) % 4)


def _unbase64url(guid: str) -> bytes:
    if _BASE64URL.fullmatch(guid) is None or len(guid) % 4 == 1:
        raise FileIdError("a guid is unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(_padded(guid))
    except binascii.Error:
        raise FileIdError("a guid is unpadded base64url") from None
    if _base64url(data) != guid:  # stray low bits in the last character
        raise FileIdError("a guid is unpadded base64url")
    return data
