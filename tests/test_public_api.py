"""The public surface: what `__all__` promises in each module users import, pinned."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "emulators.app": {
        "SERVICES",
        "EmulatorApp",
        "create_app",
        "default_scenario_path",
        "load_scenario_files",
    },
    "emulators.cli": {"main"},
    "emulators.testing": {
        "ControlClient",
        "ControlClientError",
        "Emulator",
        "LiveEmulator",
        "ServiceCalls",
        "answer",
        "drop_connection",
        "fault_rule",
        "time_window",
    },
    "emulators.testing.faults": {"JSON", "answer", "drop_connection", "fault_rule", "time_window"},
}


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_exported_members(module_name: str):
    module = importlib.import_module(module_name)
    exported = module.__all__
    for name in exported:
        assert hasattr(module, name), f"{module_name}.__all__ names {name!r}, which is missing"
    assert len(exported) == len(set(exported)), f"{module_name}.__all__ repeats a name"
    assert set(exported) == PUBLIC[module_name]
