"""Bearer tokens: the Auth token endpoint (client credentials) and the check every API call makes.

Every Transfer call needs `Authorization: Bearer <token>`; the token comes from the scenario or from
`POST /v2/oauth2/token` (HTTP Basic `client_id:client_secret`, `grant_type=client_credentials`),
which is how globus-cli logs in headlessly. Tokens expire by the virtual clock.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from datetime import datetime, timedelta
from typing import Any

from emulators.globus.errors import authentication_failed
from emulators.globus.scenario import Identity
from emulators.globus.store import GlobusStore, Grant

TRANSFER_RESOURCE_SERVER = "transfer.api.globus.org"
TRANSFER_SCOPE = "urn:globus:auth:scope:transfer.api.globus.org:all"


class OAuthError(Exception):
    """An OAuth2 error answer of the token endpoint (`{"error": ..., "error_description": ...}`)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def authenticate(store: GlobusStore, header: str | None, now: datetime) -> Identity:
    """The identity behind a bearer token, or 401 ClientError.AuthenticationFailed."""
    if not header:
        raise authentication_failed()
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise authentication_failed("The Authorization header must be 'Bearer <token>'.")
    grant = store.grants.get(token.strip())
    if grant is None:
        raise authentication_failed("Token is not active")
    if grant.expires is not None and now >= grant.expires:
        raise authentication_failed("Token is expired")
    return grant.identity


def _basic(header: str | None) -> tuple[str, str] | None:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        text = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = text.partition(":")
    return (client_id, secret) if sep else None


def issue_token(
    store: GlobusStore, authorization: str | None, form: dict[str, str], now: datetime
) -> dict[str, Any]:
    """Client-credentials grant: the token response, or OAuthError."""
    credentials = _basic(authorization) or (form.get("client_id", ""), form.get("client_secret", ""))
    client_id, secret = credentials
    if form.get("grant_type") != "client_credentials":
        raise OAuthError("unsupported_grant_type", "Only the client_credentials grant is supported.")
    known = store.clients.get(client_id)
    if known is None or not hmac.compare_digest(known[0].encode(), secret.encode()):
        raise OAuthError("invalid_client", "The client credentials are not valid.", 401)
    scopes = form.get("scope") or TRANSFER_SCOPE
    if TRANSFER_SCOPE not in scopes.split():
        raise OAuthError("invalid_scope", f"This emulator issues only {TRANSFER_SCOPE}.")
    lifetime = int(store.behaviour.token_lifetime)
    token = store.world.ids.token()
    store.grants[token] = Grant(known[1], now + timedelta(seconds=lifetime), client_id)
    return {
        "access_token": token,
        "expires_in": lifetime,
        "resource_server": TRANSFER_RESOURCE_SERVER,
        "scope": TRANSFER_SCOPE,
        "token_type": "Bearer",
        "other_tokens": [],
    }
