"""One line per request on the console while `serve` runs, so a user sees what happens.

Each line comes from a journal entry once it is complete (the journal stays the source of truth):
virtual time, service, method, path, status, the fault rule that fired and the duration; requests
the emulator sent itself (callbacks) show their target, with credentials in its query masked as in
the journal (an inbound line shows the path without its query). On a terminal the status is coloured.
Writing a line is the only cost, and only when the console is on (`serve --console`, the default
when the output is a terminal).
"""

from __future__ import annotations

from typing import TextIO

from emulators.core.journal import JournalEntry, mask_body

_COLOURS = {2: "\x1b[32m", 3: "\x1b[36m", 4: "\x1b[33m", 5: "\x1b[31m"}  # by the status's first digit
_FAULT, _DIM, _RESET = "\x1b[35m", "\x1b[2m", "\x1b[0m"


class Console:
    """Writes a line for each finished journal entry to `stream`."""

    def __init__(self, stream: TextIO, colour: bool) -> None:
        self.stream = stream
        self.colour = colour

    def __call__(self, entry: JournalEntry) -> None:
        self.stream.write(self.line(entry) + "\n")
        self.stream.flush()

    def line(self, entry: JournalEntry) -> str:
        outbound = entry.direction == "outbound"
        where = f"-> {mask_body(entry.url or '')}" if outbound else entry.path  # a URL may carry a token
        status = str(entry.status) if entry.status is not None else (entry.error or "-")
        fault = f" fault {entry.fault}" if entry.fault else ""
        when = entry.at.strftime("%H:%M:%S")
        if self.colour:
            tint = _COLOURS.get((entry.status or 500) // 100, "")
            status = f"{tint}{status}{_RESET}"
            fault = f"{_FAULT}{fault}{_RESET}" if fault else ""
            when = f"{_DIM}{when}{_RESET}"
        service = entry.service or "-"
        return f"{when} {service:<10} {entry.method:<6} {where} {status}{fault} {entry.duration_ms:.1f} ms"
