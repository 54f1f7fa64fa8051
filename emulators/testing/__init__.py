"""Test helpers: the control-API client and the pytest plugin's fixtures (see `plugin`)."""

from emulators.testing.client import ControlClient, ControlClientError
from emulators.testing.plugin import Emulator, LiveEmulator

__all__ = ["ControlClient", "ControlClientError", "Emulator", "LiveEmulator"]
