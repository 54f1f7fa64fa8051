"""Files by id: attributes and distribution (reference 5.1, 5.2), and how a transfer changes the
distribution."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from onedata_helpers import API, KRAKOW, LISBON, PARIS, SPACE, MiB, Onedata

from emulators.onedata.data import UNREACHABLE, storage_id
from emulators.onedata.file_id import file_objectid
from emulators.testing import Emulator


def get(onedata: Onedata, path: str, **kwargs: Any) -> tuple[int, Any]:
    response = onedata.client.request("GET", f"{API}{path}", headers=onedata.headers(), **kwargs)
    return response.status_code, response.json()


def test_attributes_of_a_file(onedata: Onedata) -> None:
    status, body = get(onedata, f"/data/{onedata.file_id('data/a.bin')}")
    assert status == 200
    assert body["name"] == "a.bin" and body["type"] == "REG" and body["size"] == MiB
    assert body["path"] == "/My Space 1/data/a.bin"
    assert body["parentFileId"] == onedata.file_id("data")
    assert body["isFullyReplicatedLocally"] is False  # on Lisbon only; Krakow answers


def test_attributes_can_be_chosen_in_a_body_or_the_query(onedata: Onedata) -> None:
    # Reference 5.2: `{"attributes": [...]}` as a GET body, or in the query string.
    path = f"/data/{onedata.file_id('data/c.bin')}"
    assert get(onedata, path, json={"attributes": ["name", "size"]})[1] == {"name": "c.bin", "size": 3 * MiB}
    assert get(onedata, path, params={"attributes": "type"})[1] == {"type": "REG"}
    status, body = get(onedata, path, json={"attributes": ["colour"]})
    assert (status, body["error"]["id"]) == (400, "badValueListNotAllowed")


def test_a_space_id_stands_for_its_root_and_anything_else_is_space_not_supported_by(onedata: Onedata) -> None:
    # Reference 5.1: "If the value is not a valid objectid, it is tried as a space id".
    status, body = get(onedata, f"/data/{SPACE}")
    assert (status, body["type"], body["path"]) == (200, "DIR", "/My Space 1")
    status, body = get(onedata, "/data/nonsense")
    assert (status, body["error"]["id"]) == (400, "spaceNotSupportedBy")
    assert body["error"]["details"] == {"spaceId": "nonsense", "providerId": KRAKOW}
    missing = file_objectid("0123456789abcdef0123456789abcdefch0000", SPACE)
    assert get(onedata, f"/data/{missing}")[1]["error"]["details"] == {"errno": "enoent"}
    outsider = onedata.client.get(f"{API}/data/{SPACE}", headers=onedata.headers("outsider-token"))
    assert outsider.status_code == 403


def test_the_distribution_shows_who_holds_a_file(onedata: Onedata) -> None:
    status, body = get(onedata, f"/data/{onedata.file_id('data/c.bin')}/distribution")
    assert status == 200 and body["type"] == "REG"
    per = body["distributionPerProvider"]
    assert set(per) == {KRAKOW, LISBON, PARIS}
    assert per[KRAKOW]["distributionPerStorage"][storage_id(KRAKOW)] == {
        "blocks": [[0, 3 * MiB]],
        "physicalSize": 3 * MiB,
    }
    assert per[PARIS]["distributionPerStorage"][storage_id(PARIS)] == {"blocks": [], "physicalSize": 0}


def test_a_directory_distribution_sums_what_each_provider_holds(onedata: Onedata) -> None:
    per = get(onedata, f"/data/{onedata.file_id('data')}/distribution")[1]["distributionPerProvider"]
    assert per[LISBON]["virtualSize"] == 6 * MiB
    assert per[LISBON]["distributionPerStorage"][storage_id(LISBON)]["physicalSize"] == 6 * MiB
    assert per[KRAKOW]["distributionPerStorage"][storage_id(KRAKOW)]["physicalSize"] == 3 * MiB


def test_a_migration_moves_the_replica_in_the_distribution(onedata: Onedata) -> None:
    onedata.run_until_ended(onedata.create("data/a.bin", type="migration", evictingProviderId=LISBON))
    per = get(onedata, f"/data/{onedata.file_id('data/a.bin')}/distribution")[1]["distributionPerProvider"]
    assert per[KRAKOW]["distributionPerStorage"][storage_id(KRAKOW)]["physicalSize"] == MiB
    assert per[LISBON]["distributionPerStorage"][storage_id(LISBON)]["physicalSize"] == 0
    assert get(onedata, f"/data/{onedata.file_id('data/a.bin')}")[1]["isFullyReplicatedLocally"] is True


def test_an_offline_provider_fails_in_the_distribution(emulator_factory: Callable[..., Emulator]) -> None:
    onedata = Onedata(emulator_factory(scenario="onedata-provider-offline"), token="onedata-dev-token")
    paris = "2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1cch93a0"
    per = get(onedata, "/data/6ec1a5413b6f4e2b01a5c85a8fd797e2/distribution")[1]["distributionPerProvider"]
    assert per[paris] == {"success": False, "error": UNREACHABLE}
    assert all(per[p]["success"] for p in per if p != paris)


def children(onedata: Onedata, path: str, **options: Any) -> dict[str, Any]:
    status, body = get(onedata, f"/data/{onedata.file_id(path)}/children", json=options or None)
    assert status == 200, body
    page: dict[str, Any] = body
    return page


def test_a_directory_lists_its_children_with_the_attributes_asked_for(onedata: Onedata) -> None:
    page = children(onedata, "", attributes=["name", "type"])
    assert page == {
        "children": [
            {"name": "Dir2", "type": "DIR"},
            {"name": "data", "type": "DIR"},
            {"name": "empty", "type": "DIR"},
            {"name": "many", "type": "DIR"},
        ],
        "isLast": True,
        "nextPageToken": None,
    }
    names = [c["name"] for c in children(onedata, "data")["children"]]
    assert names == ["a.bin", "b.bin", "c.bin"]
    assert set(children(onedata, "data")["children"][0]) == {"fileId", "name"}


def test_children_page_through_a_generated_set_with_tokens(onedata: Onedata) -> None:
    seen: list[str] = []
    options: dict[str, Any] = {"limit": 4, "attributes": ["name"]}
    for _ in range(10):
        page = children(onedata, "many", **options)
        seen += [c["name"] for c in page["children"]]
        if page["isLast"]:
            assert page["nextPageToken"] is None
            break
        options["token"] = page["nextPageToken"]
    assert seen == [f"f{i:02d}.bin" for i in range(15)]


def test_bad_children_options_get_their_error_ids(onedata: Onedata) -> None:
    path = f"/data/{onedata.file_id('many')}/children"
    assert get(onedata, path, params={"limit": 0})[1]["error"]["id"] == "badValueNotInRange"
    assert get(onedata, path, params={"limit": "x"})[1]["error"]["id"] == "badValueInteger"
    assert get(onedata, path, params={"token": "???"})[1]["error"]["id"] == "badValueToken"
    status, body = get(onedata, f"/data/{onedata.file_id('data/a.bin')}/children")
    assert (status, body["error"]["details"]) == (400, {"errno": "enotdir"})
