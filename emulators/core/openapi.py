"""Each service's OpenAPI document at `GET /_emulator/openapi/<service>.json`.

The documents are the contract specs the project's own tests hold the emulators to (shipped in the
package as `emulators.openapi`), so what a user generates a client from, or points Prism or
Schemathesis at, is what the emulator is tested against. Their server URLs are relative to the
service's prefix in the spec; served, they name this emulator: the public base URL is put in front
of every relative `servers` URL (the document's, a path's or an operation's).
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import yaml


def available() -> list[str]:
    """The services that have a document."""
    folder = resources.files("emulators.openapi")
    return sorted(item.name.removesuffix(".yaml") for item in folder.iterdir() if item.name.endswith(".yaml"))


@functools.lru_cache(maxsize=16)
def document(service: str, public_url: str) -> bytes | None:
    """The service's OpenAPI document as JSON, its servers on `public_url`; None if it has none."""
    if service not in available():
        return None
    text = resources.files("emulators.openapi").joinpath(f"{service}.yaml").read_text(encoding="utf-8")
    spec = yaml.safe_load(text)
    _place_servers(spec, public_url.rstrip("/"))
    return json.dumps(spec, ensure_ascii=False).encode("utf-8")


def _place_servers(node: Any, base: str) -> None:
    """Put `base` in front of every relative server URL, wherever a `servers` list appears."""
    if isinstance(node, dict):
        for server in node.get("servers") or []:
            url = server.get("url", "")
            if isinstance(url, str) and "://" not in url:
                server["url"] = base + url
        for key, value in node.items():
            if key != "servers":
                _place_servers(value, base)
    elif isinstance(node, list):
        for item in node:
            _place_servers(item, base)
