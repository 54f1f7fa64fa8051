"""The one Onezone call clients of Oneprovider make before they pick a provider: a token's data access
scope (reference 5.2, onezone-swagger `infer_access_token_scope`).

`POST /api/v3/onezone/tokens/infer_access_token_scope` with `{"token": ...}` and no auth header answers
the spaces the token's user belongs to, how each provider supports them, and the providers' name,
domain, version and whether they are online (onedatafilerestclient picks an online provider of at
least 21.02.1). A token that is not one of the scenario's is 400 `badValueToken`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from emulators.onedata.errors import bad_value_string, bad_value_token, missing_required_value
from emulators.onedata.store import OnedataStore

UNBOUNDED_VALIDITY = timedelta(days=365)  # a scenario token has no expiry; report a year ahead


def infer_access_token_scope(store: OnedataStore, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    token = body.get("token")
    if token is None:
        raise missing_required_value("token")
    if not isinstance(token, str):
        raise bad_value_string("token")
    grant = store.tokens.grants.get(token)
    if grant is None or (grant.expires is not None and now >= grant.expires):
        raise bad_value_token("token")
    user = grant.principal
    spaces: dict[str, Any] = {}
    providers: dict[str, Any] = {}
    for space_id in user.spaces:
        space = store.spaces.get(space_id)
        if space is None:
            continue
        supports = {pid: {"readonly": support.readonly} for pid, support in space.spec.supports.items()}
        spaces[space_id] = {"name": space.spec.name, "supports": supports}
        for pid in supports:
            provider = store.providers[pid]
            providers[pid] = {
                "name": provider.name,
                "domain": provider.domain,
                "version": provider.version,
                "online": provider.online,
            }
    valid_until = grant.expires or now + UNBOUNDED_VALIDITY
    return {
        "validUntil": int(valid_until.timestamp()),
        "dataAccessScope": {"readonly": False, "spaces": spaces, "providers": providers},
    }


def domains(store: object) -> list[str]:
    """The domains clients reach the providers and Onezone by: what a TLS certificate of the
    emulator should name, so that a name mapped to it verifies."""
    assert isinstance(store, OnedataStore)
    return [store.onezone_domain, *(provider.domain for provider in store.providers.values())]
