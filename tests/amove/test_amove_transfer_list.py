"""Get All Transfers (doc, "Get All Transfers > Query Parameters"): paging, sorting on any record
field, the TransferType bitmask, over 120 transfers."""

from __future__ import annotations

from typing import Any

import pytest
from amove_helpers import S3, Amove, as_user, problem

from emulators.testing import Emulator

COUNT = 120


@pytest.fixture
def api(emulator: Emulator) -> Amove:
    """120 one-object transfers, one a second, all finished."""
    api = as_user(emulator)
    keys = [o["path"] for o in api.objects(S3, "source-bucket", "/photos/shoot/", count=COUNT)["data"]]
    for i, key in enumerate(keys):
        api.transfer(sourcePath=key, destinationPath=f"/t{i:03d}/")
        emulator.advance(1)
    emulator.advance(600)
    return api


def _all(api: Amove, **params: Any) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    page = 1
    while True:
        document = api.transfers(page=page, pagesize=50, **params)
        assert document["total"] == COUNT
        assert document["options"]["pageSize"] == 50 and document["options"]["page"] == page
        records += document["data"]
        if len(document["data"]) < 50:
            return records
        page += 1


def test_pages_in_request_date_order_newest_first_by_default(api: Amove) -> None:
    # Doc: sortfield "RequestDate", descending true, page 1, pagesize 50.
    first = api.transfers()
    assert first["options"] == {
        "pageSize": 50,
        "page": 1,
        "sort": [{"field": "RequestDate", "descending": True}],
    }
    records = _all(api)
    assert [len(api.transfers(page=p, pagesize=50)["data"]) for p in (1, 2, 3, 4)] == [50, 50, 20, 0]
    dates = [r["requestDate"] for r in records]
    assert dates == sorted(dates, reverse=True) and len(set(dates)) == COUNT
    assert records[0]["destinationPath"] == "/t119/" and records[-1]["destinationPath"] == "/t000/"


@pytest.mark.parametrize("field", ["totalSize", "TotalSize", "destinationPath", "percent"])
def test_sorts_on_any_record_field_either_way(api: Amove, field: str) -> None:
    key = field[0].lower() + field[1:]
    ascending = [r[key] for r in _all(api, sortfield=field, descending="false")]
    descending = [r[key] for r in _all(api, sortfield=field, descending="true")]
    assert ascending == sorted(ascending) and descending == sorted(ascending, reverse=True)
    assert len(ascending) == COUNT


def test_the_type_bitmask_filters_by_transfer_type(api: Amove) -> None:
    # Doc: "type is the bitwise OR of TransferType"; every transfer made here is a Transfer (1).
    assert api.transfers(type=1)["total"] == COUNT
    assert api.transfers(type=15)["total"] == COUNT
    assert api.transfers(type=2 | 4 | 8)["total"] == 0
    assert api.transfers(type=0)["total"] == 0


def test_bad_paging_values_are_499(api: Amove) -> None:
    assert problem(api.get("/transfer/get_all", page=0)) == "DEFAULT"
    assert problem(api.get("/transfer/get_all", pagesize="many")) == "DEFAULT"
    assert problem(api.get("/transfer/get_all", sortfield="noSuchField")) == "DEFAULT"
    assert problem(api.get("/transfer/get_all", descending="maybe")) == "DEFAULT"
