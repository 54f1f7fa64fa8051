"""Credentials, as every emulated service takes them: tokens, where requests carry them, signed JWTs,
TOTP codes and the OAuth2 client-credentials grant.

- `Tokens` holds what each token stands for (a principal of the service's own type) and when it
  expires by the virtual clock; `principal()` checks an `Authorization: Bearer` header and
  `principal_of()` looks in every place the service accepts (`find_token`): `Authorization: Bearer`,
  `X-Auth-Token`, `Macaroon`, or the `access_token` query parameter (browsers cannot set headers on a
  WebSocket, so hubs take it there). Both raise `TokenRejected` with the reason, which each service
  words in its own error format. The journal masks every one of these places.
- `JwtSigner` issues and checks HS256 JWTs (PyJWT) whose `iat`/`exp` come from the World's clock, not
  the wall clock; its key comes from the World's link signer, so tokens cannot be minted from the seed.
- `totp_code` / `totp_accepts` compute and check RFC 6238 codes (pyotp) at a virtual instant.
- `token_endpoint(issue)` is a token route: it reads the form (`grant_type=client_credentials`, the
  client's id and secret from HTTP Basic or the form), lets the service decide and answer, and renders
  `OAuthError`s as RFC 6749 `{"error", "error_description"}` bodies.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from emulators.core.errors import BadRequestBody
from emulators.core.http import read_body
from emulators.core.types import Scope

P = TypeVar("P")
Reason = Literal["missing", "malformed", "unknown", "expired"]


class TokenRejected(Exception):
    """A bearer header that does not authenticate; `reason` says why."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Grant(Generic[P]):
    """What a bearer token stands for."""

    principal: P
    expires: datetime | None
    client_id: str | None = None


@dataclass
class Tokens(Generic[P]):
    """The bearer tokens of one service in one World."""

    grants: dict[str, Grant[P]] = field(default_factory=dict)

    def add(
        self, token: str, principal: P, expires: datetime | None = None, client_id: str | None = None
    ) -> None:
        self.grants[token] = Grant(principal, expires, client_id)

    def expire(self, token: str, at: datetime) -> bool:
        """Make a token stop working at `at`; False if there is no such token."""
        grant = self.grants.get(token)
        if grant is not None:
            grant.expires = at
        return grant is not None

    def principal(self, authorization: str | None, now: datetime) -> P:
        """The principal behind `Authorization: Bearer <token>`, or TokenRejected."""
        if not authorization:
            raise TokenRejected("missing")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRejected("malformed")
        grant = self.grants.get(token.strip())
        if grant is None:
            raise TokenRejected("unknown")
        if grant.expires is not None and now >= grant.expires:
            raise TokenRejected("expired")
        return grant.principal

    def principal_of(self, scope: Scope, now: datetime, schemes: Sequence[Scheme]) -> P:
        """The principal behind the first token found in the places `schemes` names, in that order."""
        found = find_token(scope, schemes)
        if found is None:
            raise TokenRejected("missing")
        grant = self.grants.get(found[1])
        if grant is None:
            raise TokenRejected("unknown")
        if grant.expires is not None and now >= grant.expires:
            raise TokenRejected("expired")
        return grant.principal

    def __iter__(self) -> Iterator[tuple[str, Grant[P]]]:
        return iter(list(self.grants.items()))

    def __len__(self) -> int:
        return len(self.grants)


Scheme = Literal["bearer", "x-auth-token", "macaroon", "access_token"]
_HEADERS: dict[Scheme, bytes] = {"x-auth-token": b"x-auth-token", "macaroon": b"macaroon"}


def find_token(scope: Scope, schemes: Sequence[Scheme]) -> tuple[Scheme, str] | None:
    """The first token found, in the order of `schemes`, with where it was found; None if none is.

    A header that is present but empty, or an `Authorization` header with another scheme, is
    `TokenRejected("malformed")`: the client tried, and the service says so.
    """
    headers = dict(scope.get("headers", []))
    for scheme in schemes:
        if scheme == "bearer":
            raw = headers.get(b"authorization")
            if raw is None:
                continue
            kind, _, token = raw.decode("latin-1").partition(" ")
            if kind.lower() != "bearer" or not token.strip():
                raise TokenRejected("malformed")
            return scheme, token.strip()
        if scheme == "access_token":
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            if query.get("access_token"):
                return scheme, query["access_token"]
            continue
        value = headers.get(_HEADERS[scheme])
        if value is not None:
            if not value.strip():
                raise TokenRejected("malformed")
            return scheme, value.decode("latin-1").strip()
    return None


class JwtSigner:
    """HS256 JWTs of one service in one World."""

    def __init__(self, key: bytes, issuer: str) -> None:
        self._key = key
        self.issuer = issuer

    def issue(self, claims: Mapping[str, Any], now: datetime, lifetime: float) -> str:
        """A token carrying `claims`, issued at `now` and expiring `lifetime` seconds later."""
        import jwt  # here, not at the top: it loads the cryptography package, 70 ms of start-up

        payload = {
            "iss": self.issuer,
            **claims,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=lifetime)).timestamp()),
        }
        return jwt.encode(payload, self._key, algorithm="HS256")

    def claims(self, token: str, now: datetime) -> dict[str, Any]:
        """The token's claims if this signer made it and it has not expired at `now`."""
        import jwt

        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                issuer=self.issuer,
                options={"verify_exp": False, "verify_iat": False, "require": ["exp", "iss"]},
            )
        except jwt.InvalidSignatureError:  # well formed, but not signed by us
            raise TokenRejected("unknown") from None
        except jwt.DecodeError:
            raise TokenRejected("malformed") from None
        except jwt.InvalidTokenError:
            raise TokenRejected("unknown") from None
        if not isinstance(payload.get("exp"), int) or now.timestamp() >= payload["exp"]:
            raise TokenRejected("expired")
        return payload


def totp_code(secret: str, at: datetime) -> str:
    """The 6-digit code an authenticator app shows at `at` for this base32 secret."""
    import pyotp  # here, as jwt above: only the services that use it pay for it

    return pyotp.TOTP(secret).at(at)


def totp_accepts(secret: str, code: str, at: datetime, window: int = 1) -> bool:
    """Whether `code` is the code at `at`, or within `window` 30-second steps of it (clock drift)."""
    import pyotp

    return pyotp.TOTP(secret).verify(code, for_time=at, valid_window=window)


class OAuthError(Exception):
    """An OAuth2 error answer of a token endpoint."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> Response:
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, status_code=self.status, headers={"Cache-Control": "no-store"})


@dataclass(frozen=True)
class ClientCredentials:
    """A client-credentials token request."""

    client_id: str
    client_secret: str
    scope: str | None
    via_basic: bool

    def secret_is(self, expected: str) -> bool:
        return hmac.compare_digest(expected.encode(), self.client_secret.encode())


async def read_client_credentials(request: Request) -> ClientCredentials:
    """The token request's form and client credentials, or OAuthError (RFC 6749 4.4 and 2.3.1)."""
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        raise OAuthError("invalid_request", "The body must be application/x-www-form-urlencoded.")
    try:
        form = dict(parse_qsl((await read_body(request)).decode("utf-8")))
    except (UnicodeDecodeError, BadRequestBody):
        raise OAuthError("invalid_request", "The body is not a UTF-8 form of a sensible size.") from None
    if form.get("grant_type") != "client_credentials":
        raise OAuthError("unsupported_grant_type", "Only the client_credentials grant is supported.")
    basic = _basic(request.headers.get("authorization"))
    client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
    if not client_id or not secret:
        raise OAuthError("invalid_request", "client_id and client_secret are required.")
    return ClientCredentials(client_id, secret, form.get("scope"), basic is not None)


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


Issue = Callable[[Request, ClientCredentials], dict[str, Any]]


def token_endpoint(issue: Issue) -> Callable[[Request], Awaitable[Response]]:
    """A token route: `issue` checks the client against the service's state and returns the token body."""

    async def endpoint(request: Request) -> Response:
        try:
            credentials = await read_client_credentials(request)
            return JSONResponse(issue(request, credentials), headers={"Cache-Control": "no-store"})
        except OAuthError as exc:
            return exc.response()

    return endpoint
