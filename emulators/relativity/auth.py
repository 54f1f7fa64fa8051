"""Bearer tokens: the Relativity Identity token endpoint and the check every API call makes.

Doc, "Authentication": every endpoint needs `Authorization: Bearer <token>`; users assigned to an
OAuth2 client cannot be in the System Administrator group and need access to the fileshare. Tokens
come from `POST /Relativity/Identity/connect/token` (client credentials; form fields client_id,
client_secret, scope, grant_type) or from the scenario, and expire by the virtual clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from emulators.core.tokens import ClientCredentials, JwtSigner, OAuthError, TokenRejected
from emulators.relativity.errors import forbidden, unauthorized
from emulators.relativity.fileshare import FilesharePath, parse_destination
from emulators.relativity.scenario import SYSTEM_ADMINISTRATORS, User
from emulators.relativity.store import RelativityStore

SCOPES = frozenset({"SystemUserInfo", "UserInfoAccess"})


def issue_token(store: RelativityStore, request: ClientCredentials, now: datetime) -> dict[str, Any]:
    """Client-credentials grant: the token response, or OAuthError."""
    client_id = request.client_id
    known = store.clients.get(client_id)
    if known is None or not request.secret_is(known[0]):
        raise OAuthError("invalid_client", "The client credentials are not valid.", 400)
    scope = request.scope or "SystemUserInfo"
    if not set(scope.split()) <= SCOPES:
        raise OAuthError("invalid_scope", f"Unknown scope {scope!r}.")
    lifetime = int(store.behaviour.token_lifetime)
    claims = {"sub": known[1].name, "client_id": client_id, "scope": scope, "jti": store.world.ids.uuid()}
    token = JwtSigner(store.signing_key, "Relativity").issue(claims, now, lifetime)
    store.tokens.add(token, known[1], now + timedelta(seconds=lifetime), client_id)
    return {"access_token": token, "expires_in": lifetime, "token_type": "Bearer", "scope": scope}


def authenticate(store: RelativityStore, authorization: str | None, now: datetime) -> User:
    """The user behind an Authorization header, or 401/403 as the doc requires."""
    try:
        user = store.tokens.principal(authorization, now)
    except TokenRejected as exc:
        raise unauthorized(_REJECTED[exc.reason]) from None
    if SYSTEM_ADMINISTRATORS in user.groups:
        raise forbidden(
            "Users assigned to OAuth2 Client cannot be assigned to the System Administrator Group."
        )
    return user


_REJECTED = {
    "missing": "The Authorization header is missing.",
    "malformed": "The Authorization header must be 'Bearer <token>'.",
    "unknown": "The bearer token is not valid.",
    "expired": "The bearer token has expired.",
}


def can_write(user: User, destination: FilesharePath) -> bool:
    """Whether the user has access to the destination's fileshare."""
    for root in user.fileshares:
        share = parse_destination(root.rstrip("\\") + "\\ARM")
        if (share.host, share.share) == (destination.host, destination.share):
            return True
    return False
