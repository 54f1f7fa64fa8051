"""The `transfer-emulators` command's entry point, also run by `python -m emulators`.

Importing the command builds what lives as long as the process: a few hundred modules, the scenario
models' validators, the services' dataclasses. None of it is garbage, yet the collector would run
dozens of times while it is built, each pass over more of it. So the collector is paused while the
command is imported, and what the import built is frozen, which leaves it out of later passes (the
server freezes what it builds before serving the same way). This lives here, not in `emulators.cli`,
because tests import that module and must find the collector as they left it.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable


def main() -> int:
    return load()()


def load() -> Callable[[], int]:
    """The command (`emulators.cli.main`), imported while the collector is paused; it runs again after."""
    gc.disable()
    try:
        from emulators.cli import main as command
    finally:
        gc.freeze()
        gc.enable()
    return command


if __name__ == "__main__":
    sys.exit(main())
