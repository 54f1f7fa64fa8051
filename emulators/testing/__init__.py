"""Test helpers: the control-API client, typed fault-rule builders (see `faults`), the pytest
plugin's fixtures (see `plugin`) and a base for per-service call helpers (`ServiceCalls`)."""

from emulators.testing.calls import ServiceCalls
from emulators.testing.client import ControlClient, ControlClientError
from emulators.testing.faults import answer, drop_connection, fault_rule, time_window
from emulators.testing.plugin import Emulator, LiveEmulator

__all__ = [
    "ControlClient",
    "ControlClientError",
    "Emulator",
    "LiveEmulator",
    "ServiceCalls",
    "answer",
    "drop_connection",
    "fault_rule",
    "time_window",
]
