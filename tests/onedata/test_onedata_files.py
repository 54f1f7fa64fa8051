"""Path lookup and the provider's configuration (reference 5.1, 5.2)."""

from __future__ import annotations

from onedata_helpers import API, KRAKOW, SPACE, Onedata

from emulators.onedata.file_id import file_objectid


def lookup(onedata: Onedata, path: str, token: str | None = None) -> tuple[int, dict[str, object]]:
    response = onedata.client.post(f"{API}/lookup-file-id/{path}", headers=onedata.headers(token))
    return response.status_code, response.json()


def test_a_path_resolves_to_the_file_id_a_transfer_accepts(onedata: Onedata) -> None:
    status, body = lookup(onedata, "My%20Space%201/data/a.bin")
    assert (status, body) == (200, {"fileId": onedata.file_id("data/a.bin")})
    transfer_id = onedata.create("data/a.bin")
    assert onedata.status(transfer_id)["fileId"] == body["fileId"]


def test_the_space_may_be_named_with_its_id(onedata: Onedata) -> None:
    # Reference 5.2: "`Name@SpaceId` for duplicate names"; onedatafilerestclient always sends it.
    assert lookup(onedata, f"My Space 1@{SPACE}/data")[1] == {"fileId": onedata.file_id("data")}
    assert lookup(onedata, f"My Space 1@{SPACE}")[1] == {"fileId": onedata.file_id("")}
    assert lookup(onedata, "My Space 1@elsewhere/data")[0] == 400


def test_the_root_is_the_users_root_directory(onedata: Onedata) -> None:
    expected = file_objectid("userRoot_admin", "rootDirVirtualSpaceId")
    assert lookup(onedata, "")[1] == {"fileId": expected}


def test_a_path_that_names_nothing_is_posix_enoent(onedata: Onedata) -> None:
    # Reference 5.2: "Missing path: 400 `posix` `enoent` (the swagger says 404)".
    status, body = lookup(onedata, "My Space 1/data/missing.bin")
    assert status == 400
    assert body == {
        "error": {
            "id": "posix",
            "description": "Operation failed with POSIX error: enoent.",
            "details": {"errno": "enoent"},
        }
    }
    assert lookup(onedata, "My Space 1/data", token="outsider-token")[0] == 400  # not the user's space


def test_lookup_needs_a_token(onedata: Onedata) -> None:
    assert onedata.client.post(f"{API}/lookup-file-id/My Space 1").status_code == 401


def test_the_configuration_needs_no_token(onedata: Onedata) -> None:
    response = onedata.client.get(f"{API}/configuration")
    assert response.status_code == 200
    body = response.json()
    assert (body["providerId"], body["name"], body["domain"]) == (KRAKOW, "Krakow", "krakow.example.org")
    assert body["version"] == "21.02.7" and body["onezoneDomain"] == "onezone.onedata.example"


def test_a_space_names_its_root_directories_and_providers(onedata: Onedata) -> None:
    response = onedata.client.get(f"{API}/spaces/{SPACE}", headers=onedata.headers())
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "My Space 1" and body["spaceId"] == SPACE
    assert body["dirId"] == body["fileId"] == onedata.file_id("")
    assert body["trashDirId"] == file_objectid(f"trash_{SPACE}", SPACE)
    assert body["archivesDirId"] == file_objectid(f"archives_root_{SPACE}", SPACE)
    assert [p["providerName"] for p in body["providers"]] == ["Krakow", "Lisbon", "Paris"]
    outsider = onedata.client.get(f"{API}/spaces/{SPACE}", headers=onedata.headers("outsider-token"))
    assert outsider.status_code == 403
    assert onedata.client.get(f"{API}/spaces/{SPACE}").status_code == 401


def listed(onedata: Onedata, path: str, **options: object) -> list[str]:
    response = onedata.client.request(
        "GET", f"{API}/data/{onedata.file_id(path)}/children", headers=onedata.headers(), json=options
    )
    assert response.status_code == 200, response.text
    return [child["name"] for child in response.json()["children"]]


def test_the_index_option_starts_the_listing_at_a_name(onedata: Onedata) -> None:
    # The children handler: the listing starts from the given name, inclusively unless `inclusive`
    # is false; `offset` then moves the start, and a name past every child lists nothing.
    assert listed(onedata, "data", index="b.bin") == ["b.bin", "c.bin"]
    assert listed(onedata, "data", index="b.bin", inclusive=False) == ["c.bin"]
    assert listed(onedata, "data", index="b") == ["b.bin", "c.bin"]
    assert listed(onedata, "data", index="b.bin", offset=-1) == ["a.bin", "b.bin", "c.bin"]
    assert listed(onedata, "data", index="zzz") == []
    assert listed(onedata, "many", index="f07.bin", limit=3) == ["f07.bin", "f08.bin", "f09.bin"]
    assert listed(onedata, "", index="data", limit=2) == ["data", "empty"]


def test_the_index_option_takes_a_childs_index_attribute_and_the_query_string(onedata: Onedata) -> None:
    url = f"{API}/data/{onedata.file_id('many')}/children"
    page = onedata.client.request("GET", url, headers=onedata.headers(), json={"attributes": ["index"]})
    tenth = page.json()["children"][10]["index"]

    by_query = onedata.client.get(
        url, params={"index": tenth, "inclusive": "false"}, headers=onedata.headers()
    )

    assert [c["name"] for c in by_query.json()["children"]] == [f"f{i:02d}.bin" for i in range(11, 15)]


def test_a_token_resumes_its_listing_whatever_the_index(onedata: Onedata) -> None:
    url = f"{API}/data/{onedata.file_id('many')}/children"
    first = onedata.client.request(
        "GET", url, headers=onedata.headers(), json={"index": "f05.bin", "limit": 2}
    )
    token = first.json()["nextPageToken"]

    names = listed(onedata, "many", token=token, index="f00.bin", offset=3, limit=2)

    assert names == ["f07.bin", "f08.bin"]


def test_bad_index_options_get_their_error_ids(onedata: Onedata) -> None:
    url = f"{API}/data/{onedata.file_id('data')}/children"

    def error(**options: object) -> tuple[int, str]:
        response = onedata.client.request("GET", url, headers=onedata.headers(), json=options)
        return response.status_code, response.json()["error"]["id"]

    assert error(index="") == (400, "badValueEmpty")
    assert error(index=7) == (400, "badValueString")
    assert error(inclusive="maybe") == (400, "badValueBoolean")
    assert error(token="") == (400, "badValueEmpty")
    assert listed(onedata, "data", index=None, token=None) == ["a.bin", "b.bin", "c.bin"]  # null: none
