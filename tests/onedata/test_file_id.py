"""Onedata file ids: the reference's worked examples decode, ids round-trip, and bad ids are refused."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulators.onedata.file_id import (
    FileGuid,
    FileIdError,
    crc16_arc,
    decode_objectid,
    encode_objectid,
    file_objectid,
    guid_to_objectid,
    new_datastore_key,
    objectid_to_guid,
    pack_guid,
    parse_file_objectid,
    space_root_objectid,
    space_root_uuid,
    unpack_guid,
)

# Reference, 5.1, and the "Get transfer status" page's example `fileId`.
SWAGGER_OBJECTID = (
    "00000000005CF4706775696423745F772D67686431633765446F4D76546D6F2D67575F3361737A7670486B477A79365877"
    "34507265584A7723394A4F355F5F396E4C31623031594576776E667431723230677767776C6B497031394E445F6E38686778"
    "73"
)
SWAGGER_GUID_TEXT = (
    "guid#t_w-ghd1c7eDoMvTmo-gW_3aszvpHkGzy6Xw4PreXJw#9JO5__9nL1b01YEvwnft1r20gwgwlkIp19ND_n8hgxs"
)
SPACE_ID = "6ec1a5413b6f4e2b01a5c85a8fd797e2"
# Reference, 5.1: "space `6ec1a5413b6f4e2b01a5c85a8fd797e2` → objectid
# `00000000004C3F52677569642373706163655F36656331…`".
SPACE_ROOT_PREFIX = "00000000004C3F52677569642373706163655F36656331"

# What may stand inside a guid: any text without the separator.
ID_TEXT = st.text(st.characters(exclude_characters="#", exclude_categories=["Cs"]), max_size=40)


def with_byte(objectid: str, index: int, value: int) -> str:
    raw = bytearray(bytes.fromhex(objectid))
    raw[index] = value
    return raw.hex().upper()


def signed(header: bytes, data: bytes) -> str:
    """An objectid with the given first six header bytes and a CRC that matches them."""
    crc = crc16_arc(header + bytes(2) + data)
    return (header + crc.to_bytes(2, "big") + data).hex().upper()


def test_crc16_arc_has_its_check_value() -> None:
    """CRC-16/ARC's catalogued check: the CRC of "123456789" is 0xBB3D."""
    assert crc16_arc(b"123456789") == 0xBB3D
    assert crc16_arc(b"") == 0


def test_the_swagger_example_decodes_and_its_crc_recomputes() -> None:
    data = decode_objectid(SWAGGER_OBJECTID)
    assert data.decode() == SWAGGER_GUID_TEXT
    assert SWAGGER_OBJECTID[:16] == "00000000005CF470"
    assert len(data) == 0x5C
    assert crc16_arc(bytes([0, 0, 0, 0, 0, 0x5C, 0, 0]) + data) == 0xF470
    assert encode_objectid(data) == SWAGGER_OBJECTID
    assert parse_file_objectid(SWAGGER_OBJECTID) == FileGuid(
        "t_w-ghd1c7eDoMvTmo-gW_3aszvpHkGzy6Xw4PreXJw", "9JO5__9nL1b01YEvwnft1r20gwgwlkIp19ND_n8hgxs"
    )


def test_the_space_root_example_is_rebuilt() -> None:
    assert space_root_uuid(SPACE_ID) == f"space_{SPACE_ID}"
    objectid = space_root_objectid(SPACE_ID)
    assert objectid.startswith(SPACE_ROOT_PREFIX)
    assert decode_objectid(objectid).decode() == f"guid#space_{SPACE_ID}#{SPACE_ID}"
    assert parse_file_objectid(objectid) == FileGuid(f"space_{SPACE_ID}", SPACE_ID)


def test_guid_is_unpadded_base64url_of_its_text() -> None:
    guid = pack_guid(f"space_{SPACE_ID}", SPACE_ID)
    assert guid == (
        "Z3VpZCNzcGFjZV82ZWMxYTU0MTNiNmY0ZTJiMDFhNWM4NWE4ZmQ3OTdlMiM2ZWMx"
        "YTU0MTNiNmY0ZTJiMDFhNWM4NWE4ZmQ3OTdlMg"
    )
    assert "=" not in guid
    assert guid_to_objectid(guid) == space_root_objectid(SPACE_ID)
    assert objectid_to_guid(space_root_objectid(SPACE_ID)) == guid


def test_share_guid_carries_the_share() -> None:
    guid = pack_guid("file-uuid", SPACE_ID, "share-1")
    assert unpack_guid(guid) == FileGuid("file-uuid", SPACE_ID, "share-1")
    objectid = file_objectid("file-uuid", SPACE_ID, "share-1")
    assert decode_objectid(objectid) == f"shareGuid#file-uuid#{SPACE_ID}#share-1".encode()
    assert parse_file_objectid(objectid).share_id == "share-1"
    assert parse_file_objectid(file_objectid("file-uuid", SPACE_ID)).share_id is None


def test_objectids_are_upper_case_and_either_case_decodes() -> None:
    objectid = file_objectid("2727a9fe5f5df6b43a8033386d2990e8ch5df6", SPACE_ID)
    assert objectid == objectid.upper()
    assert decode_objectid(objectid.lower()) == decode_objectid(objectid)


@settings(derandomize=True, database=None, deadline=None)
@given(uuid=ID_TEXT, space_id=ID_TEXT, share_id=st.none() | ID_TEXT)
def test_file_ids_round_trip(uuid: str, space_id: str, share_id: str | None) -> None:
    if len(f"shareGuid#{uuid}#{space_id}#{share_id}".encode()) > 255:
        with pytest.raises(FileIdError):
            file_objectid(uuid, space_id, share_id)
        return
    objectid = file_objectid(uuid, space_id, share_id)
    assert parse_file_objectid(objectid) == FileGuid(uuid, space_id, share_id)
    assert objectid_to_guid(objectid) == pack_guid(uuid, space_id, share_id)
    assert unpack_guid(pack_guid(uuid, space_id, share_id)) == FileGuid(uuid, space_id, share_id)


@settings(derandomize=True, database=None, deadline=None)
@given(data=st.binary(max_size=255))
def test_any_data_round_trips_through_an_objectid(data: bytes) -> None:
    objectid = encode_objectid(data)
    assert re.fullmatch(r"0000000000[0-9A-F]{6}(?:[0-9A-F]{2})*", objectid)
    assert int(objectid[10:12], 16) == len(data)
    assert decode_objectid(objectid) == data
    assert decode_objectid(objectid.lower()) == data


@settings(derandomize=True, database=None, deadline=None)
@given(data=st.binary(min_size=1, max_size=64), index=st.integers(min_value=0), flip=st.integers(1, 255))
def test_any_changed_byte_is_refused(data: bytes, index: int, flip: int) -> None:
    """A CRC-16 detects every single-byte error; the reserved bytes and the length byte are checked
    before it. Only the enterprise number (bytes 1-3) may change, as the real decoder ignores it, and
    then the CRC no longer matches."""
    raw = bytearray(bytes.fromhex(encode_objectid(data)))
    raw[index % len(raw)] ^= flip
    with pytest.raises(FileIdError):
        decode_objectid(raw.hex())


def test_a_wrong_crc_is_refused() -> None:
    wrong = SWAGGER_OBJECTID[:12] + "F471" + SWAGGER_OBJECTID[16:]
    with pytest.raises(FileIdError, match="CRC"):
        decode_objectid(wrong)


@pytest.mark.parametrize(
    "objectid",
    [
        with_byte(SWAGGER_OBJECTID, 5, 0x5B),  # one byte fewer than the data
        with_byte(SWAGGER_OBJECTID, 5, 0x5D),  # one byte more than the data
        SWAGGER_OBJECTID[:-2],  # the data cut short
        SWAGGER_OBJECTID + "00",  # a byte appended
    ],
    ids=["length-byte-low", "length-byte-high", "truncated", "extended"],
)
def test_a_wrong_length_is_refused(objectid: str) -> None:
    with pytest.raises(FileIdError, match="length byte"):
        decode_objectid(objectid)


@pytest.mark.parametrize(
    "objectid",
    [
        "",
        "00000000005C",  # shorter than the header
        SWAGGER_OBJECTID[:-1],  # odd length
        SWAGGER_OBJECTID[:-2] + "7G",  # not hex
        SWAGGER_OBJECTID[:20] + " " + SWAGGER_OBJECTID[20:],  # whitespace, which bytes.fromhex would skip
        "0x" + SWAGGER_OBJECTID[2:],
    ],
    ids=["empty", "short", "odd-length", "non-hex", "whitespace", "0x-prefix"],
)
def test_malformed_objectids_are_refused(objectid: str) -> None:
    with pytest.raises(FileIdError):
        decode_objectid(objectid)


@pytest.mark.parametrize("reserved", [0, 4])
def test_a_non_zero_reserved_byte_is_refused_even_with_a_matching_crc(reserved: int) -> None:
    header = bytearray([0, 0, 0, 0, 0, 8])
    header[reserved] = 1
    with pytest.raises(FileIdError, match="reserved"):
        decode_objectid(signed(bytes(header), b"guid#u#s"))


def test_another_enterprise_number_decodes_when_its_crc_matches() -> None:
    """The real decoder reads past the enterprise number; only its CRC has to match."""
    assert decode_objectid(signed(bytes([0, 0, 0, 7, 0, 8]), b"guid#u#s")) == b"guid#u#s"


@pytest.mark.parametrize(
    "data",
    [b"guid#only-uuid", b"guid#a#b#c", b"shareGuid#a#b", b"file#a#b", b"\xff\xfe#a#b", b""],
    ids=["two-parts", "four-parts", "share-three-parts", "other-prefix", "not-utf8", "empty"],
)
def test_an_objectid_that_carries_no_guid_is_refused(data: bytes) -> None:
    objectid = encode_objectid(data)
    assert decode_objectid(objectid) == data
    with pytest.raises(FileIdError):
        parse_file_objectid(objectid)


@pytest.mark.parametrize(
    "guid",
    ["Z3VpZCN1I3M=", "Z3VpZCN1I3M+", "Z3VpZCN1I3N", "Z", "Z3VpZCN1I3M!"],
    ids=["padded", "standard-alphabet", "stray-low-bits", "one-char", "bad-char"],
)
def test_guids_that_are_not_unpadded_base64url_are_refused(guid: str) -> None:
    assert unpack_guid("Z3VpZCN1I3M") == FileGuid("u", "s")
    with pytest.raises(FileIdError):
        unpack_guid(guid)


def test_ids_containing_the_separator_or_too_long_cannot_be_packed() -> None:
    with pytest.raises(FileIdError):
        pack_guid("a#b", SPACE_ID)
    with pytest.raises(FileIdError):
        pack_guid("uuid", SPACE_ID, "share#1")
    with pytest.raises(FileIdError, match="at most 255"):
        encode_objectid(bytes(256))
    assert decode_objectid(encode_objectid(bytes(255))) == bytes(255)


def test_new_datastore_keys_follow_the_format_and_the_seed() -> None:
    keys = [new_datastore_key(random.Random(7)) for _ in range(2)]
    assert keys[0] == keys[1]
    rng = random.Random(7)
    drawn = [new_datastore_key(rng) for _ in range(200)]
    assert drawn[0] == keys[0]
    assert len(set(drawn)) == 200
    for key in drawn:
        assert re.fullmatch(r"[0-9a-f]{32}ch[0-9a-f]{4}", key), key
    assert new_datastore_key(random.Random(8)) != keys[0]
