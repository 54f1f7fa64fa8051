"""The console: one line per finished request, from its journal entry."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from emulators.core.console import Console
from emulators.core.journal import JournalEntry
from emulators.testing import Emulator


def test_each_request_prints_one_line_with_what_happened(emulator: Emulator) -> None:
    out = io.StringIO()
    emulator.host.console = Console(out, colour=False)
    emulator.control.add_fault({"id": "busy", "path": "/v0.10/task_list", "action": {"status": 503}})
    emulator.client.get("/v0.10/task_list", headers={"Authorization": "Bearer globus-dev-token"})
    emulator.client.get("/nowhere")
    first, second = out.getvalue().splitlines()
    assert first.split()[1:5] == ["globus", "GET", "/v0.10/task_list", "503"] and " fault busy " in first
    assert second.split()[1:5] == ["-", "GET", "/nowhere", "404"] and second.endswith(" ms")


def test_on_a_terminal_the_status_is_coloured(emulator: Emulator) -> None:
    out = io.StringIO()
    emulator.host.console = Console(out, colour=True)
    emulator.client.get("/nowhere")
    assert "\x1b[33m404\x1b[0m" in out.getvalue()


def test_a_callback_url_shows_without_its_secrets() -> None:
    entry = JournalEntry(1, datetime(2030, 1, 1, tzinfo=UTC), "svc", "POST", "/cb", b"", [])
    entry.direction, entry.url, entry.status = (
        "outbound",
        "https://hooks.example/cb?access_token=s3cret&x=1",
        204,
    )
    line = Console(io.StringIO(), colour=False).line(entry)
    assert "s3cret" not in line and "access_token=***&x=1" in line
