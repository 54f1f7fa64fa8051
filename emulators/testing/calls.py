"""`ServiceCalls`: the base of a test's helper for one service's API on an in-process emulator.

@dataclass
class Jobs(ServiceCalls):
    token: str = "relativity-dev-token"

    def get(self, job_id: str) -> httpx.Response:
        return self.client.get(f"/transfer-service/api/v2/transfer/jobs/{job_id}", headers=self.headers())
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import httpx

from emulators.testing.plugin import Emulator

__all__ = ["ServiceCalls"]


@dataclass
class ServiceCalls:
    """One emulator's client, its virtual time and bearer headers with a default token."""

    emulator: Emulator
    token: str

    @property
    def client(self) -> httpx.Client:
        return self.emulator.client

    def now(self) -> datetime:
        """The emulator's virtual time."""
        return self.emulator.world.clock.now()

    def headers(self, token: str | None = None) -> dict[str, str]:
        """`Authorization: Bearer` with `token`, else the default one."""
        return {"Authorization": f"Bearer {token or self.token}"}
