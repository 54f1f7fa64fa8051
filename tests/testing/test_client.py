"""`ControlClient` made from an httpx client or from a base URL alone."""

from __future__ import annotations

import pytest

from emulators.testing import ControlClient, LiveEmulator


@pytest.mark.live
@pytest.mark.parametrize("suffix", ["", "/"], ids=["bare", "trailing-slash"])
def test_a_control_client_from_a_base_url_drives_a_live_server(emulator_server: LiveEmulator, suffix: str):
    control = ControlClient(emulator_server.url + suffix)
    try:
        assert control.health()["status"] == "ready"
        before = control.now()
        assert (control.advance(90) - before).total_seconds() == 90
    finally:
        control.http.close()
