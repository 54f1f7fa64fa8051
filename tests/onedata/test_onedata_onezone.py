"""Onezone's token scope (reference 5.2): what onedatafilerestclient asks before choosing a provider."""

from __future__ import annotations

from onedata_helpers import KRAKOW, LISBON, PARIS, SPACE, Onedata

PATH = "/api/v3/onezone/tokens/infer_access_token_scope"


def test_a_token_scope_names_the_users_spaces_and_their_providers(onedata: Onedata) -> None:
    response = onedata.client.post(PATH, json={"token": "admin-token"})  # no auth header, as the client
    assert response.status_code == 200
    body = response.json()
    assert body["validUntil"] > onedata.now().timestamp()
    scope = body["dataAccessScope"]
    assert scope["readonly"] is False
    assert scope["spaces"] == {
        SPACE: {
            "name": "My Space 1",
            "supports": {
                KRAKOW: {"readonly": False},
                LISBON: {"readonly": False},
                PARIS: {"readonly": False},
            },
        }
    }
    assert scope["providers"][LISBON] == {
        "name": "Lisbon",
        "domain": "lisbon.example.org",
        "version": "21.02.7",
        "online": True,
    }


def test_a_user_outside_every_space_has_an_empty_scope(onedata: Onedata) -> None:
    body = onedata.client.post(PATH, json={"token": "outsider-token"}).json()
    assert body["dataAccessScope"] == {"readonly": False, "spaces": {}, "providers": {}}


def test_a_bad_or_missing_token_is_a_400(onedata: Onedata) -> None:
    for body, error_id in (({"token": "nope"}, "badValueToken"), ({}, "missingRequiredValue")):
        response = onedata.client.post(PATH, json=body)
        assert (response.status_code, response.json()["error"]["id"]) == (400, error_id)
