"""Bearer tokens: the Relativity Identity token endpoint and the check every API call makes.

Doc, "Authentication": every endpoint needs `Authorization: Bearer <token>`; users assigned to an
OAuth2 client cannot be in the System Administrator group and need access to the fileshare. Tokens
come from `POST /Relativity/Identity/connect/token` (client credentials; form fields client_id,
client_secret, scope, grant_type) or from the scenario, and expire by the virtual clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

from emulators.relativity.errors import forbidden, unauthorized
from emulators.relativity.fileshare import FilesharePath, parse_destination
from emulators.relativity.scenario import SYSTEM_ADMINISTRATORS, User
from emulators.relativity.store import Grant, RelativityStore

SCOPES = frozenset({"SystemUserInfo", "UserInfoAccess"})


class OAuthError(Exception):
    """An OAuth2 error answer of the token endpoint (`{"error": ...}`)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def issue_token(store: RelativityStore, form: dict[str, str], now: datetime) -> dict[str, Any]:
    """Client-credentials grant: the token response, or OAuthError."""
    if form.get("grant_type") != "client_credentials":
        raise OAuthError("unsupported_grant_type", "Only the client_credentials grant is supported.")
    client_id, secret = form.get("client_id"), form.get("client_secret")
    if not client_id or not secret:
        raise OAuthError("invalid_request", "client_id and client_secret are required.")
    known = store.clients.get(client_id)
    if known is None or not hmac.compare_digest(known[0], secret):
        raise OAuthError("invalid_client", "The client credentials are not valid.", 400)
    scope = form.get("scope") or "SystemUserInfo"
    if not set(scope.split()) <= SCOPES:
        raise OAuthError("invalid_scope", f"Unknown scope {scope!r}.")
    lifetime = int(store.behaviour.token_lifetime)
    expires = now + timedelta(seconds=lifetime)
    claims = {
        "iss": "Relativity",
        "sub": known[1].name,
        "client_id": client_id,
        "scope": scope,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": store.world.ids.uuid(),
    }
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = _b64(hmac.new(store.signing_key, f"{head}.{body}".encode(), hashlib.sha256).digest())
    token = f"{head}.{body}.{signature}"
    store.grants[token] = Grant(known[1], expires, client_id)
    return {"access_token": token, "expires_in": lifetime, "token_type": "Bearer", "scope": scope}


def authenticate(store: RelativityStore, authorization: str | None, now: datetime) -> User:
    """The user behind an Authorization header, or 401/403 as the doc requires."""
    if not authorization:
        raise unauthorized("The Authorization header is missing.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("The Authorization header must be 'Bearer <token>'.")
    grant = store.grants.get(token.strip())
    if grant is None:
        raise unauthorized("The bearer token is not valid.")
    if grant.expires is not None and now >= grant.expires:
        raise unauthorized("The bearer token has expired.")
    if SYSTEM_ADMINISTRATORS in grant.user.groups:
        raise forbidden(
            "Users assigned to OAuth2 Client cannot be assigned to the System Administrator Group."
        )
    return grant.user


def can_write(user: User, destination: FilesharePath) -> bool:
    """Whether the user has access to the destination's fileshare."""
    for root in user.fileshares:
        share = parse_destination(root.rstrip("\\") + "\\ARM")
        if (share.host, share.share) == (destination.host, destination.share):
            return True
    return False
