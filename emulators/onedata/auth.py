"""Who is asking, and what they may do in a space (reference 4).

Tokens are read from `X-Auth-Token`, `Authorization: Bearer` or `Macaroon`, first match winning. No
token at all leaves the request a guest's, refused with 401 `unauthorized` where an operation needs a
user; a token that does not authenticate is 401 with `details.authError`; a user who lacks a privilege
(or is not a member of the space) gets 403 `forbidden`.
"""

from __future__ import annotations

from datetime import datetime

from emulators.core.tokens import Scheme, TokenRejected
from emulators.core.types import Scope
from emulators.onedata.errors import forbidden, unauthorized
from emulators.onedata.scenario import PRIVILEGES, User
from emulators.onedata.store import OnedataStore

SCHEMES: tuple[Scheme, ...] = ("x-auth-token", "bearer", "macaroon")
_AUTH_ERRORS = {
    "malformed": ("badToken", "Provided token could not be understood by the server."),
    "unknown": ("tokenInvalid", "Provided token is not valid."),
    "expired": ("tokenCaveatUnverified", "Provided token is not valid - unverified caveat: time."),
}


def user_of(store: OnedataStore, scope: Scope, now: datetime) -> User | None:
    """The user behind the request's token; None for a guest (no token); 401 for a bad token."""
    try:
        return store.tokens.principal_of(scope, now, SCHEMES)
    except TokenRejected as exc:
        if exc.reason == "missing":
            return None
        raise unauthorized(_AUTH_ERRORS[exc.reason]) from None


def authenticated(user: User | None) -> User:
    """The user, or 401 for a guest."""
    if user is None:
        raise unauthorized()
    return user


def require(user: User | None, space_id: str, *privileges: str) -> User:
    """401 for a guest, 403 unless the user is a member of the space with every privilege named."""
    user = authenticated(user)
    if not has(user, space_id, *privileges):
        raise forbidden()
    return user


def has(user: User, space_id: str, *privileges: str) -> bool:
    granted = user.spaces.get(space_id)
    if granted is None:
        return False
    held = set(PRIVILEGES) if "all" in granted else set(granted)
    return set(privileges) <= held
