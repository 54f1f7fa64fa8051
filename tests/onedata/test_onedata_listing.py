"""GET /spaces/{sid}/transfers: states, limits, page tokens, newest first (reference 1.5)."""

from __future__ import annotations

from collections.abc import Callable

from onedata_helpers import SPACE, Onedata


def test_a_transfer_moves_from_waiting_to_ongoing_to_ended(onedata: Onedata) -> None:
    transfer_id = onedata.create("data")
    lists = []
    for step in (0, 2, 5):
        onedata.advance(step)
        lists.append(
            [state for state in ("waiting", "ongoing", "ended") if transfer_id in ids(onedata, state)]
        )
    assert lists == [["waiting"], ["ongoing"], ["ended"]]


def test_the_default_state_is_ongoing(onedata: Onedata) -> None:
    transfer_id = onedata.create("data")
    onedata.advance(2)
    assert onedata.list().json() == {"transfers": [transfer_id], "nextPageToken": None}


def test_limit_pages_through_100_transfers_newest_first_with_real_tokens(
    onedata_with: Callable[..., Onedata],
) -> None:
    onedata = onedata_with(behaviour="\n      schedule_delay: 100000")  # all stay waiting
    created = []
    for k in range(100):
        created.append(onedata.create("data/a.bin"))
        onedata.advance(k % 2)  # two per second: then the tid part of the key orders them
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        query = {"state": "waiting", "limit": 30} | ({"page_token": token} if token else {})
        page = onedata.list(**query).json()
        seen += page["transfers"]
        token = page["nextPageToken"]
        pages += 1
        if token is None:
            break
        assert len(page["transfers"]) == 30
        # Reference 1.5: the key is str(9999999999 - scheduleTime) + tid[:6].
        schedule = onedata.status(page["transfers"][-1])["scheduleTime"]
        assert token == f"{9999999999 - schedule}{page['transfers'][-1][:6]}"
    assert pages == 4 and sorted(seen) == sorted(created) and len(seen) == 100
    times = [onedata.status(t)["scheduleTime"] for t in seen]
    assert times == sorted(times, reverse=True)


def test_a_full_last_page_is_followed_by_an_empty_one(onedata: Onedata) -> None:
    for _ in range(2):
        onedata.create("data/a.bin")
    first = onedata.list(state="waiting", limit=2).json()
    assert first["nextPageToken"] is not None
    assert onedata.list(state="waiting", limit=2, page_token=first["nextPageToken"]).json() == {
        "transfers": [],
        "nextPageToken": None,
    }


def test_bad_list_parameters_get_their_error_ids(onedata: Onedata) -> None:
    cases = [
        ({"state": "past"}, "badValueNotAllowed"),
        ({"limit": "ten"}, "badValueInteger"),
        ({"limit": 0}, "badValueNotInRange"),
        ({"limit": 1001}, "badValueNotInRange"),
        ({"page_token": ""}, "badValueEmpty"),
    ]
    for query, error_id in cases:
        response = onedata.list(**query)
        assert (response.status_code, response.json()["error"]["id"]) == (400, error_id), query
    assert onedata.list(state="past").json()["error"]["details"] == {
        "key": "state",
        "allowed": ["waiting", "ongoing", "ended"],
    }


def test_listing_needs_space_view_transfers(onedata: Onedata) -> None:
    path = f"/api/v3/oneprovider/spaces/{SPACE}/transfers"
    assert onedata.client.get(path).status_code == 401
    assert onedata.client.get(path, headers={"X-Auth-Token": "outsider-token"}).status_code == 403
    assert onedata.client.get(path, headers={"X-Auth-Token": "viewer-token"}).status_code == 200


def ids(onedata: Onedata, state: str) -> list[str]:
    response = onedata.list(state=state)
    assert response.status_code == 200, response.text
    return list(response.json()["transfers"])
