"""Amove authentication (reference, B1): one-shot request tokens, two-step login with an optional
TOTP challenge, JWTs signed by the emulator, logout, password reset, long-lived API tokens, and the
check every Main API call makes.

JWT claims: `sub` (user id), `user` (username), `account` (Amove account id), `role` (UserType),
`sid` (the session: a login's, or an API token's). Logout and API-token deletion revoke the session,
so its JWT gets 401 from then on. No Starlette here: routes pass in what the request carried.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from emulators.amove.errors import AmoveError, Unauthorized
from emulators.amove.store import AmoveStore, ApiToken, MfaSession, User
from emulators.core.tokens import TokenRejected, totp_accepts

CHALLENGE_NONE = 0
CHALLENGE_TOTP = 1
MFA_SESSION_SECONDS = 180.0


def request_token(store: AmoveStore, now: datetime) -> str:
    """A fresh request token, good for one successful use within the scenario's TTL (60 s)."""
    token = store.world.ids.uuid()
    store.request_tokens[token] = now + timedelta(seconds=store.section.behaviour.request_token_ttl)
    return token


def _check_request_token(store: AmoveStore, token: object, now: datetime) -> str:
    expires = store.request_tokens.get(token) if isinstance(token, str) else None
    if expires is None or now >= expires:
        raise AmoveError("TOKEN", "The request token is invalid, expired or already used.")
    return str(token)


def _consume(store: AmoveStore, token: str) -> None:
    store.request_tokens.pop(token, None)


def _jwt(store: AmoveStore, user: User, session: str, now: datetime, lifetime: float) -> str:
    claims = {
        "sub": user.id,
        "user": user.username,
        "account": user.account_id,
        "role": user.type,
        "sid": session,
    }
    return store.signer.issue(claims, now, lifetime)


def login(store: AmoveStore, body: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """`{requestToken, username, password, type}` → `{challenge, jwtToken, session}`; 401 for bad
    credentials or a `type` that is not the user's."""
    token = _check_request_token(store, body.get("requestToken"), now)
    user = store.user_named(body["username"]) if isinstance(body.get("username"), str) else None
    password = body.get("password")
    if (
        user is None
        or not isinstance(password, str)
        or not hmac.compare_digest(password.encode(), user.password.encode())
        or body.get("type") != user.type
        or isinstance(body.get("type"), bool)
    ):
        raise Unauthorized()
    _consume(store, token)
    if user.totp_secret is not None:
        session = store.world.ids.token()
        store.mfa_sessions[session] = MfaSession(user.id, now + timedelta(seconds=MFA_SESSION_SECONDS))
        return {"challenge": CHALLENGE_TOTP, "jwtToken": None, "session": session}
    jwt = _jwt(store, user, store.world.ids.uuid(), now, store.section.behaviour.jwt_lifetime)
    return {"challenge": CHALLENGE_NONE, "jwtToken": jwt, "session": None}


def mfa_respond(store: AmoveStore, body: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """`{requestToken, userCode, session}` → the JWT, when the code is the user's TOTP code now."""
    token = _check_request_token(store, body.get("requestToken"), now)
    session_id = body.get("session")
    session = store.mfa_sessions.get(session_id) if isinstance(session_id, str) else None
    if session is None or now >= session.expires:
        raise AmoveError("AUTH", "The login session is invalid or expired.")
    user = store.users[session.user_id]
    code = body.get("userCode")
    assert user.totp_secret is not None
    if not isinstance(code, str) or not totp_accepts(user.totp_secret, code, now):
        raise AmoveError("TOTP", "The TOTP code is not valid.")
    _consume(store, token)
    del store.mfa_sessions[str(session_id)]
    jwt = _jwt(store, user, store.world.ids.uuid(), now, store.section.behaviour.jwt_lifetime)
    return {"challenge": CHALLENGE_NONE, "jwtToken": jwt, "session": None}


def logout(store: AmoveStore, body: Mapping[str, Any], now: datetime) -> None:
    """`{requestToken, jwtToken}`: the JWT's session ends (a JWT that is not ours is 401)."""
    token = _check_request_token(store, body.get("requestToken"), now)
    jwt = body.get("jwtToken")
    claims = _claims(store, jwt if isinstance(jwt, str) else "", now)
    _consume(store, token)
    store.revoked_sessions.add(str(claims.get("sid")))


def forgot_password(store: AmoveStore, body: Mapping[str, Any], now: datetime) -> None:
    """`{requestToken, username}`: always 200; for a known user, a reset token (the mail is not sent:
    the control API's state shows it)."""
    token = _check_request_token(store, body.get("requestToken"), now)
    _consume(store, token)
    username = body.get("username")
    user = store.user_named(username) if isinstance(username, str) else None
    if user is not None:
        store.reset_tokens[store.world.ids.token(16)] = user.id


def reset_password(store: AmoveStore, body: Mapping[str, Any], now: datetime) -> None:
    """`{requestToken, resetToken, password}`: the user's new password."""
    token = _check_request_token(store, body.get("requestToken"), now)
    reset = body.get("resetToken")
    password = body.get("password")
    if not isinstance(reset, str) or reset not in store.reset_tokens:
        raise AmoveError("TOKEN", "The reset token is invalid or already used.")
    if not isinstance(password, str) or not password:
        raise AmoveError("DEFAULT", "A password is required.")
    _consume(store, token)
    store.users[store.reset_tokens.pop(reset)].password = password


def _claims(store: AmoveStore, jwt: str, now: datetime) -> dict[str, Any]:
    try:
        claims = store.signer.claims(jwt, now)
    except TokenRejected:
        raise Unauthorized() from None
    if claims.get("sid") in store.revoked_sessions or claims.get("sub") not in store.users:
        raise Unauthorized()
    return claims


def user_of(store: AmoveStore, jwt: str | None, now: datetime) -> User:
    """The user a JWT (a login's or an API token's) stands for; 401 otherwise."""
    if not jwt:
        raise Unauthorized()
    return store.users[_claims(store, jwt, now)["sub"]]


def insert_api_token(store: AmoveStore, user: User, body: Mapping[str, Any], now: datetime) -> ApiToken:
    """A long-lived JWT for scripts, valid until `expirationDate` (reference, B1)."""
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        raise AmoveError("DEFAULT", "A title is required.")
    expiration = _date(body.get("expirationDate"))
    if expiration is None or expiration <= now:
        raise AmoveError("DEFAULT", "expirationDate must be a date-time in the future.")
    is_encrypted = body.get("isEncrypted", False)
    key = body.get("encryptionKey")
    if not isinstance(is_encrypted, bool) or not (key is None or isinstance(key, str)):
        raise AmoveError("DEFAULT", "isEncrypted must be a boolean and encryptionKey a string.")
    session = store.world.ids.uuid()
    lifetime = (expiration - now).total_seconds()
    api_token = ApiToken(
        store.world.ids.uuid(),
        user.id,
        session,
        title,
        _jwt(store, user, session, now, lifetime),
        key if key is not None else "",
        is_encrypted,
        expiration,
        now,
    )
    store.api_tokens[api_token.id] = api_token
    return api_token


def delete_api_token(store: AmoveStore, user: User, token_id: str | None) -> None:
    api_token = store.api_tokens.get(token_id or "")
    if api_token is None or api_token.user_id != user.id:
        raise AmoveError("NOT_FOUND", "Object not found.")
    del store.api_tokens[api_token.id]
    store.revoked_sessions.add(api_token.session_id)


def _date(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
