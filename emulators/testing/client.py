"""`ControlClient`: the control API from Python.

Works over any httpx client pointed at an emulator (the in-process one the `emulator` fixture gives,
or a real one), or from a server's base URL alone::

    control = ControlClient("http://127.0.0.1:8700")
    control.advance(30)
    control.add_fault({"service": "relativity", "method": "GET", "action": {"status": 503}})
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

__all__ = ["ControlClient", "ControlClientError"]

PREFIX = "/_emulator"


class ControlClientError(Exception):
    """The control API refused a call; `status` and `body` say why."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"control API answered {status}: {body}")
        self.status = status
        self.body = body


class ControlClient:
    """Typed calls for every control-API resource."""

    def __init__(self, http: httpx.Client | str, token: str | None = None) -> None:
        """`http`: an httpx client whose base URL is the emulator's, or that base URL; from a URL the
        control client makes its own httpx client, `self.http` (close it with `control.http.close()`)."""
        self.http = httpx.Client(base_url=http) if isinstance(http, str) else http
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        response = self.http.request(
            method, PREFIX + path, headers={**self.headers, **(headers or {})}, **kwargs
        )
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = response.text
            raise ControlClientError(response.status_code, body)
        return response.json() if response.content else None

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")  # type: ignore[no-any-return]  # JSON document

    def reset(self) -> None:
        """Back to the scenario's initial state (state, clock, fault rules, journal)."""
        self._call("POST", "/reset")

    def load_scenario(self, yaml_text: str) -> dict[str, Any]:
        """Replace the scenario; raises ControlClientError (with the problems) if it is invalid."""
        return self._call(  # type: ignore[no-any-return]  # JSON document
            "POST", "/scenario", content=yaml_text.encode(), headers={"Content-Type": "application/yaml"}
        )

    def state(self) -> dict[str, Any]:
        return self._call("GET", "/state")  # type: ignore[no-any-return]

    def now(self) -> datetime:
        return datetime.fromisoformat(self._call("GET", "/clock")["now"])

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward; returns once every due event has been applied."""
        return datetime.fromisoformat(self._call("POST", "/clock", json={"advance": seconds})["now"])

    def set_time(self, when: datetime) -> datetime:
        return datetime.fromisoformat(self._call("POST", "/clock", json={"set": when.isoformat()})["now"])

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/faults")  # type: ignore[no-any-return]

    def add_fault(self, rule: dict[str, Any]) -> dict[str, Any]:
        """Add an HTTP fault rule (see the README for its fields); returns it with its id."""
        return self._call("POST", "/faults", json=rule)  # type: ignore[no-any-return]

    def remove_fault(self, rule_id: str) -> None:
        self._call("DELETE", f"/faults/{rule_id}")

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """Journal entries; filters: service, method, path (prefix), status, limit."""
        params = {k: v for k, v in filters.items() if v is not None}
        return self._call("GET", "/requests", params=params)  # type: ignore[no-any-return]

    def har(self, **filters: Any) -> dict[str, Any]:
        """The journal as an HTTP Archive (HAR 1.2); the same filters as `requests`."""
        params = {k: v for k, v in filters.items() if v is not None} | {"format": "har"}
        return self._call("GET", "/requests", params=params)  # type: ignore[no-any-return]

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")
