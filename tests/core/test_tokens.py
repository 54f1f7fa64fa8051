"""Bearer tokens and the client-credentials token endpoint shared by every service."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from emulators.core.tokens import (
    ClientCredentials,
    JwtSigner,
    OAuthError,
    TokenRejected,
    Tokens,
    find_token,
    token_endpoint,
    totp_accepts,
    totp_code,
)

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def test_a_token_names_its_principal_until_it_expires():
    tokens: Tokens[str] = Tokens()
    tokens.add("t1", "alice", NOW + timedelta(minutes=5))
    assert tokens.principal("Bearer t1", NOW) == "alice"
    assert tokens.principal("bearer  t1 ", NOW) == "alice"
    with pytest.raises(TokenRejected) as caught:
        tokens.principal("Bearer t1", NOW + timedelta(minutes=5))
    assert caught.value.reason == "expired"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("Basic abc", "malformed"),
        ("Bearer ", "malformed"),
        ("Bearer nope", "unknown"),
    ],
)
def test_each_rejection_says_why(header: str | None, reason: str):
    tokens: Tokens[str] = Tokens()
    tokens.add("t1", "alice")
    with pytest.raises(TokenRejected) as caught:
        tokens.principal(header, NOW)
    assert caught.value.reason == reason


def test_expire_takes_effect_at_the_instant_given():
    tokens: Tokens[str] = Tokens()
    tokens.add("t1", "alice")
    assert tokens.expire("t1", NOW) and not tokens.expire("t2", NOW)
    with pytest.raises(TokenRejected):
        tokens.principal("Bearer t1", NOW)
    assert tokens.principal("Bearer t1", NOW - timedelta(seconds=1)) == "alice"


def _issue(request: Request, credentials: ClientCredentials) -> dict[str, Any]:
    if credentials.client_id != "app" or not credentials.secret_is("s3cret"):
        raise OAuthError("invalid_client", "no", 401)
    return {"access_token": "tok", "scope": credentials.scope, "basic": credentials.via_basic}


def _post(**kwargs: Any) -> httpx.Response:
    app = Starlette(routes=[Route("/token", token_endpoint(_issue), methods=["POST"])])

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            return await client.post("/token", **kwargs)

    return anyio.run(go)


def test_client_credentials_from_the_form_or_http_basic():
    form = _post(
        data={
            "grant_type": "client_credentials",
            "client_id": "app",
            "client_secret": "s3cret",
            "scope": "all",
        }
    )
    assert form.status_code == 200 and form.json() == {"access_token": "tok", "scope": "all", "basic": False}
    assert form.headers["Cache-Control"] == "no-store"
    basic = base64.b64encode(b"app:s3cret").decode()
    via_basic = _post(data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"})
    assert via_basic.json()["basic"] is True


@pytest.mark.parametrize(
    ("kwargs", "status", "error"),
    [
        ({"json": {"grant_type": "client_credentials"}}, 400, "invalid_request"),
        (
            {"data": {"grant_type": "password", "client_id": "app", "client_secret": "s3cret"}},
            400,
            "unsupported_grant_type",
        ),
        ({"data": {"grant_type": "client_credentials", "client_id": "app"}}, 400, "invalid_request"),
        (
            {"data": {"grant_type": "client_credentials", "client_id": "app", "client_secret": "x"}},
            401,
            "invalid_client",
        ),
        (
            {"content": b"\xff", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
            400,
            "invalid_request",
        ),
    ],
)
def test_oauth_errors_are_rfc_6749_bodies(kwargs: dict[str, Any], status: int, error: str):
    response = _post(**kwargs)
    assert response.status_code == status
    assert response.json()["error"] == error and response.json()["error_description"]


# -- where tokens are found, JWTs and TOTP on the virtual clock -----------------------------------


def scope(headers: dict[str, str] | None = None, query: str = "") -> dict[str, Any]:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return {"type": "http", "headers": raw, "query_string": query.encode()}


def test_a_token_is_found_in_the_first_place_the_service_names() -> None:
    both = scope({"Authorization": "Bearer b1", "X-Auth-Token": "x1"})
    assert find_token(both, ["x-auth-token", "bearer"]) == ("x-auth-token", "x1")
    assert find_token(both, ["bearer", "x-auth-token"]) == ("bearer", "b1")
    assert find_token(scope({"Macaroon": "m1"}), ["bearer", "macaroon"]) == ("macaroon", "m1")
    assert find_token(scope(query="id=1&access_token=q1"), ["bearer", "access_token"]) == (
        "access_token",
        "q1",
    )
    assert find_token(scope(), ["bearer", "x-auth-token", "macaroon", "access_token"]) is None


def test_a_token_sent_badly_is_malformed_not_missing() -> None:
    for sent in ({"Authorization": "Basic dTpw"}, {"Authorization": "Bearer "}, {"X-Auth-Token": " "}):
        with pytest.raises(TokenRejected) as rejected:
            find_token(scope(sent), ["bearer", "x-auth-token"])
        assert rejected.value.reason == "malformed"


def test_principal_of_looks_where_the_service_says() -> None:
    tokens: Tokens[str] = Tokens()
    tokens.add("t1", "alice", expires=NOW + timedelta(seconds=60))
    assert tokens.principal_of(scope({"X-Auth-Token": "t1"}), NOW, ["x-auth-token"]) == "alice"
    for sent, reason, at in [({}, "missing", NOW), ({"X-Auth-Token": "zz"}, "unknown", NOW)]:
        with pytest.raises(TokenRejected, match=reason):
            tokens.principal_of(scope(sent), at, ["x-auth-token"])
    with pytest.raises(TokenRejected, match="expired"):
        tokens.principal_of(scope(query="access_token=t1"), NOW + timedelta(seconds=60), ["access_token"])


def test_a_jwt_carries_its_claims_and_expires_on_the_virtual_clock() -> None:
    signer = JwtSigner(b"k" * 32, "emulator")
    token = signer.issue({"sub": "alice", "role": 4}, NOW, 3600)
    claims = signer.claims(token, NOW + timedelta(seconds=3599))
    assert (claims["sub"], claims["role"], claims["exp"] - claims["iat"]) == ("alice", 4, 3600)
    with pytest.raises(TokenRejected, match="expired"):
        signer.claims(token, NOW + timedelta(seconds=3600))
    with pytest.raises(TokenRejected, match="unknown"):
        JwtSigner(b"other" * 8, "emulator").claims(token, NOW)  # another key: not ours
    with pytest.raises(TokenRejected, match="malformed"):
        signer.claims("not-a-jwt", NOW)


def test_totp_codes_follow_the_virtual_clock() -> None:
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    code = totp_code(secret, NOW)
    assert len(code) == 6 and code.isdigit()
    assert totp_accepts(secret, code, NOW + timedelta(seconds=29))
    assert totp_accepts(secret, code, NOW + timedelta(seconds=45))  # one step of drift is allowed
    assert not totp_accepts(secret, code, NOW + timedelta(seconds=95))
    assert totp_code(secret, NOW + timedelta(seconds=30)) != code
