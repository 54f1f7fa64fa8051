"""Start-up imports only what serving the default scenario needs (the performance issue's start-up
target): libraries a first request may never use are imported when first used, and each service's
HTTP side (routes, request documents, hub) when its prefix gets its first request."""

from __future__ import annotations

import json
import subprocess
import sys

LAZY = (
    "httpx",
    "jwt",
    "pyotp",
    "trustme",
    "prometheus_client",
    "haralyzer",
    "emulators.relativity.routes",
    "emulators.globus.routes",
    "emulators.globus.files",
    "emulators.onedata.routes",
    "emulators.amove.routes",
    "emulators.amove.hub",
    "emulators.amove.signalr",
    "statistics",
)

PROBE = f"""
import json, sys
import emulators.cli
from emulators.app import create_app
create_app(clock="real")
print(json.dumps([name for name in {LAZY!r} if name in sys.modules]))
"""


def test_serving_the_default_scenario_imports_no_client_library_and_no_service_routes() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
