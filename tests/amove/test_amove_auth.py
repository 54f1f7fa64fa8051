"""Amove authentication (reference, B1): request tokens, login, the TOTP challenge, logout, password
reset, API tokens; and the error model's 401 and 499 answers (reference, B2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from amove_helpers import (
    ADMIN,
    AUTH,
    SECURE,
    TOTP_SECRET,
    VIEWER,
    Amove,
    as_user,
    login,
    problem,
    request_token,
)

from emulators.core.tokens import totp_code
from emulators.testing import Emulator


def _login(emulator: Emulator, user: tuple[str, str, int], token: str | None = None) -> dict[str, object]:
    username, password, user_type = user
    body = {
        "requestToken": token or request_token(emulator.client),
        "username": username,
        "password": password,
    }
    response = emulator.client.post(f"{AUTH}/login", json={**body, "type": user_type})
    assert response.status_code == 200, response.text
    document: dict[str, object] = response.json()
    return document


def test_login_answers_a_jwt_that_the_main_api_takes(emulator: Emulator) -> None:
    # Reference, B1: challenge 0 (None) → jwtToken set.
    document = _login(emulator, ADMIN)
    assert document["challenge"] == 0 and document["session"] is None
    api = Amove(emulator, str(document["jwtToken"]))
    assert api.get("/cloudaccount/get_all").status_code == 200


def test_the_jwt_carries_user_account_and_role(emulator: Emulator) -> None:
    import jwt as pyjwt

    claims = pyjwt.decode(login(emulator.client, VIEWER), options={"verify_signature": False})
    assert (claims["user"], claims["role"]) == ("viewer@example.com", 64)
    assert claims["account"] == "5d9c6b0e-4a57-4f0b-9a43-2c1f0e8b7a10"
    assert claims["exp"] - claims["iat"] == 3600


def test_a_request_token_is_one_shot(emulator: Emulator) -> None:
    # Reference, B1: "one-shot (consumed by the first successful use)"; 499 TOKEN once used.
    token = request_token(emulator.client)
    _login(emulator, ADMIN, token)
    username, password, user_type = ADMIN
    again = {"requestToken": token, "username": username, "password": password, "type": user_type}
    assert problem(emulator.client.post(f"{AUTH}/login", json=again)) == "TOKEN"


def test_a_request_token_expires_after_60_virtual_seconds(emulator: Emulator) -> None:
    token = request_token(emulator.client)
    emulator.advance(60)
    username, password, user_type = ADMIN
    body = {"requestToken": token, "username": username, "password": password, "type": user_type}
    assert problem(emulator.client.post(f"{AUTH}/login", json=body)) == "TOKEN"


@pytest.mark.parametrize(
    ("password", "user_type"),
    [("wrong", 4), ("amove-admin", 8), ("amove-admin", "4")],
    ids=["bad password", "wrong type", "type as a string"],
)
def test_bad_credentials_or_a_wrong_type_get_401_without_a_body(
    emulator: Emulator, password: str, user_type: object
) -> None:
    # Reference, B1: "401 for bad credentials or wrong `type`"; B2: 401 has no body.
    body = {"requestToken": request_token(emulator.client), "username": ADMIN[0], "password": password}
    response = emulator.client.post(f"{AUTH}/login", json={**body, "type": user_type})
    assert (response.status_code, response.content) == (401, b"")


def test_the_main_api_without_a_valid_jwt_is_401(emulator: Emulator) -> None:
    for headers in ({}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic eDp5"}):
        response = emulator.client.get("/api/v1/transfer/get_all", headers=headers)
        assert (response.status_code, response.content) == (401, b"")


def test_a_jwt_expires_on_the_virtual_clock(emulator: Emulator) -> None:
    api = as_user(emulator)
    emulator.advance(3600)
    assert api.get("/transfer/get_all").status_code == 401


def test_totp_login_takes_the_code_of_the_scenario_secret(emulator: Emulator) -> None:
    # Reference, B1: challenge 1 (TOTP) → session, then mfa_respond with a fresh request token.
    document = _login(emulator, SECURE)
    assert document["challenge"] == 1 and document["jwtToken"] is None
    now = emulator.world.clock.now()
    body = {"requestToken": request_token(emulator.client), "session": document["session"]}
    wrong = str((int(totp_code(TOTP_SECRET, now)) + 1) % 1_000_000).zfill(6)
    assert problem(emulator.client.post(f"{AUTH}/mfa_respond", json={**body, "userCode": wrong})) == "TOTP"
    right = {**body, "requestToken": request_token(emulator.client), "userCode": totp_code(TOTP_SECRET, now)}
    answer = emulator.client.post(f"{AUTH}/mfa_respond", json=right).json()
    assert answer["challenge"] == 0
    assert Amove(emulator, answer["jwtToken"]).get("/transfer/get_all").status_code == 200


def test_a_totp_code_from_another_time_is_refused(emulator: Emulator) -> None:
    session = _login(emulator, SECURE)["session"]
    stale = totp_code(TOTP_SECRET, emulator.world.clock.now() - timedelta(minutes=10))
    body = {"requestToken": request_token(emulator.client), "session": session, "userCode": stale}
    assert problem(emulator.client.post(f"{AUTH}/mfa_respond", json=body)) == "TOTP"


def test_an_unknown_mfa_session_is_auth(emulator: Emulator) -> None:
    body = {"requestToken": request_token(emulator.client), "session": "nope", "userCode": "123456"}
    assert problem(emulator.client.post(f"{AUTH}/mfa_respond", json=body)) == "AUTH"


def test_logout_ends_the_jwts_session(emulator: Emulator) -> None:
    api = as_user(emulator)
    body = {"requestToken": request_token(emulator.client), "jwtToken": api.jwt}
    assert emulator.client.post(f"{AUTH}/logout", json=body).status_code == 200
    assert api.get("/transfer/get_all").status_code == 401


def test_forgot_password_is_always_200_and_reset_sets_a_new_password(emulator: Emulator) -> None:
    for username in ("nobody@example.com", ADMIN[0]):
        body = {"requestToken": request_token(emulator.client), "username": username}
        assert emulator.client.post(f"{AUTH}/forgot_password", json=body).status_code == 200
    [reset] = emulator.control.state()["services"]["amove"]["reset_tokens"]
    body = {"requestToken": request_token(emulator.client), "resetToken": reset, "password": "new-one"}
    assert emulator.client.post(f"{AUTH}/reset_password", json=body).status_code == 200
    assert login(emulator.client, (ADMIN[0], "new-one", ADMIN[2]))


def test_an_api_token_works_until_deleted(emulator: Emulator) -> None:
    # Reference, B1: `apitoken/insert` → ApiToken with a JWT; `delete?id=` → the token gets 401.
    api = as_user(emulator)
    expires = (emulator.world.clock.now() + timedelta(days=30)).astimezone(UTC).isoformat()
    created = api.post("/apitoken/insert", {"title": "ci", "isEncrypted": False, "expirationDate": expires})
    assert created.status_code == 200, created.text
    token = created.json()
    assert token["title"] == "ci" and token["encryptionKey"] == ""
    script = Amove(emulator, token["token"])
    assert script.get("/transfer/get_all").status_code == 200
    assert [t["id"] for t in api.get("/apitoken/get_all").json()] == [token["id"]]
    deleted = emulator.client.delete(
        "/api/v1/apitoken/delete", params={"id": token["id"]}, headers=api.headers
    )
    assert deleted.status_code == 200
    assert script.get("/transfer/get_all").status_code == 401
    assert api.get("/apitoken/get_all").json() == []


def test_an_api_token_expires_at_its_expiration_date(emulator: Emulator) -> None:
    api = as_user(emulator)
    expires = emulator.world.clock.now() + timedelta(hours=2)
    token = api.post("/apitoken/insert", {"title": "short", "expirationDate": expires.isoformat()}).json()
    emulator.advance(2 * 3600)
    assert Amove(emulator, token["token"]).get("/transfer/get_all").status_code == 401


def test_an_api_token_needs_a_future_expiration(emulator: Emulator) -> None:
    api = as_user(emulator)
    past = datetime(2000, 1, 1, tzinfo=UTC).isoformat()
    assert problem(api.post("/apitoken/insert", {"title": "old", "expirationDate": past})) == "DEFAULT"


def test_a_body_that_is_not_json_and_an_unknown_path_answer_499(emulator: Emulator) -> None:
    # Reference, B2: "The API does not use the standard 400 / 403 / 404 codes".
    bad = emulator.client.post(f"{AUTH}/login", content=b"{nope")
    assert problem(bad) == "DEFAULT"
    assert problem(emulator.client.post(f"{AUTH}/no_such_action")) == "NOT_FOUND"
