"""Bearer tokens: the Auth token endpoint (client credentials) and the check every API call makes.

Every Transfer call needs `Authorization: Bearer <token>`; the token comes from the scenario or from
`POST /v2/oauth2/token` (HTTP Basic `client_id:client_secret`, `grant_type=client_credentials`),
which is how globus-cli logs in headlessly. Tokens expire by the virtual clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from emulators.core.tokens import ClientCredentials, OAuthError, TokenRejected
from emulators.globus.errors import authentication_failed
from emulators.globus.scenario import Identity
from emulators.globus.store import GlobusStore

TRANSFER_RESOURCE_SERVER = "transfer.api.globus.org"
TRANSFER_SCOPE = "urn:globus:auth:scope:transfer.api.globus.org:all"


def authenticate(store: GlobusStore, header: str | None, now: datetime) -> Identity:
    """The identity behind a bearer token, or 401 ClientError.AuthenticationFailed."""
    try:
        return store.tokens.principal(header, now)
    except TokenRejected as exc:
        raise authentication_failed(_REJECTED[exc.reason]) from None


_REJECTED = {
    "missing": "No Authentication provided.",
    "malformed": "The Authorization header must be 'Bearer <token>'.",
    "unknown": "Token is not active",
    "expired": "Token is expired",
}


def issue_token(store: GlobusStore, request: ClientCredentials, now: datetime) -> dict[str, Any]:
    """Client-credentials grant: the token response, or OAuthError."""
    known = store.clients.get(request.client_id)
    if known is None or not request.secret_is(known[0]):
        raise OAuthError("invalid_client", "The client credentials are not valid.", 401)
    scopes = request.scope or TRANSFER_SCOPE
    if TRANSFER_SCOPE not in scopes.split():
        raise OAuthError("invalid_scope", f"This emulator issues only {TRANSFER_SCOPE}.")
    lifetime = int(store.behaviour.token_lifetime)
    token = store.world.ids.token()
    store.tokens.add(token, known[1], now + timedelta(seconds=lifetime), request.client_id)
    return {
        "access_token": token,
        "expires_in": lifetime,
        "resource_server": TRANSFER_RESOURCE_SERVER,
        "scope": TRANSFER_SCOPE,
        "token_type": "Bearer",
        "other_tokens": [],
    }
