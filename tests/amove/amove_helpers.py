"""Calls of the Amove API on one emulator, as a client makes them: request token, login, JWT."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from emulators.testing import Emulator

ADMIN = ("admin@example.com", "amove-admin", 4)
EDITOR = ("editor@example.com", "amove-editor", 32)
VIEWER = ("viewer@example.com", "amove-viewer", 64)
SECURE = ("secure@example.com", "amove-secure", 4)
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
S3 = "00000000-0000-0000-0000-000000000000"
WASABI = "11111111-1111-1111-1111-111111111111"
AUTH = "/api/authentication"

# Doc, "Sample Code > Calculate cost, then run a transfer": the samples' payload.
SAMPLE_PAYLOAD: dict[str, Any] = {
    "sourceCloudAccountId": S3,
    "sourceBucket": "source-bucket",
    "sourcePath": "/photos/",
    "destinationCloudAccountId": WASABI,
    "destinationBucket": "dest-bucket",
    "destinationPath": "/backup/photos/",
    "allowSkip": True,
    "keepSourceTree": True,
}


def request_token(client: httpx.Client) -> str:
    response = client.post(f"{AUTH}/request_token")
    assert response.status_code == 200
    token = response.json()
    assert isinstance(token, str)
    return token


def login(client: httpx.Client, user: tuple[str, str, int] = ADMIN) -> str:
    username, password, user_type = user
    body = {
        "requestToken": request_token(client),
        "username": username,
        "password": password,
        "type": user_type,
    }
    response = client.post(f"{AUTH}/login", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["challenge"] == 0
    jwt = response.json()["jwtToken"]
    assert isinstance(jwt, str)
    return jwt


@dataclass
class Amove:
    """The Main API as one logged-in user."""

    emulator: Emulator
    jwt: str
    headers: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.headers = {"Authorization": f"Bearer {self.jwt}"}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.emulator.client.get(f"/api/v1{path}", params=params, headers=self.headers)

    def post(self, path: str, body: Any) -> httpx.Response:
        return self.emulator.client.post(f"/api/v1{path}", json=body, headers=self.headers)

    def transfers(self, **params: Any) -> dict[str, Any]:
        response = self.get("/transfer/get_all", **params)
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        return document

    def transfer(self, **changes: Any) -> None:
        response = self.post("/transfer/transfer", {**SAMPLE_PAYLOAD, **changes})
        assert (response.status_code, response.content) == (200, b""), response.text

    def objects(self, cloud: str, bucket: str, path: str = "/", **extra: Any) -> dict[str, Any]:
        body = {"cloudAccountId": cloud, "bucketName": bucket, "path": path, **extra}
        response = self.post("/cloudaccount/list_objects", body)
        assert response.status_code == 200, response.text
        document: dict[str, Any] = response.json()
        return document


def as_user(emulator: Emulator, user: tuple[str, str, int] = ADMIN) -> Amove:
    return Amove(emulator, login(emulator.client, user))


def problem(response: httpx.Response) -> str:
    """The 499 code of an Error Model answer (reference, B2), checked whole."""
    assert response.status_code == 499, (response.status_code, response.text)
    body = response.json()
    code = body["type"]
    assert body == {"type": code, "status": 499, "errors": {code: body["errors"][code]}}
    assert response.headers["error-code"] == code
    assert isinstance(code, str)
    return code
