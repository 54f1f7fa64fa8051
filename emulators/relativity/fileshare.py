"""RelativityOne fileshare destinations for the emulated Transfer Service.

This module owns the rules a Transfer Service job's ``destinationPath`` must satisfy: the UNC root of a
RelativityOne fileshare (``\\\\files[N].tNNN.<pod>.<domain>\\TNNN``), the writable staging folders under
it, and Relativity's "File and folder naming rules" that every written file and folder must respect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "STAGING_FOLDERS",
    "DestinationError",
    "FilesharePath",
    "naming_violation",
    "parse_destination",
    "room_under",
]

#: Since 1 September 2024 users can only write within these staging folders of a fileshare.
STAGING_FOLDERS: tuple[str, ...] = ("ARM", "StructuredData", "ProcessingSource", "TenantVM")

_STAGING_BY_KEY = {name.casefold(): name for name in STAGING_FOLDERS}

# Relativity's samples extract the root with `\\files\d*.T\d{3}.[A-Za-z]{4}\d*.*\T\d{3}[A-Za-z]*`. This
# host pattern is more permissive about the pod part (e.g. `files.t025.r1.kcura.com`): after the tenant
# label it accepts any two or more DNS labels.
_HOST_RE = re.compile(r"files\d*\.t\d{3}[a-z]*(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?){2,}", re.IGNORECASE)
_SHARE_RE = re.compile(r"t\d{3}[a-z]*", re.IGNORECASE)

MAX_COMPONENT_BYTES = 255
MAX_PATH_BYTES = 1024

_FORBIDDEN = frozenset('"\\/:|<>*?')
_DEVICE_NAMES = frozenset(
    {"PRN", "AUX", "NUL", "CON", "CLOCK$"}
    | {f"LPT{n}" for n in range(1, 10)}
    | {f"COM{n}" for n in range(1, 10)}
)
_RESERVED_EXACT = frozenset({".", "..", " "})
# The rules list these bidirectional controls as "strongly discouraged"; the emulator treats them as
# violations so that tests exercise the strictest reading of the rule.
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e")


class DestinationError(ValueError):
    """A ``destinationPath`` the service rejects; ``str()`` is a one-sentence message for a 400 body."""


@dataclass(frozen=True)
class FilesharePath:
    """A parsed destination: fileshare root, staging folder and the path below the staging folder."""

    root: str
    host: str
    share: str
    staging_folder: str
    relative: str

    @property
    def full(self) -> str:
        """The normalised full UNC path, ``root\\staging_folder[\\relative]`` without a trailing backslash."""
        parts = [self.root, self.staging_folder]
        if self.relative:
            parts.append(self.relative)
        return "\\".join(parts)

    def join(self, relative_posix_path: str) -> str:
        """Append a ``/``-separated relative path (e.g. a blob name) to ``full`` using backslashes.

        The path is not validated here; check it with :func:`naming_violation` first.
        """
        tail = relative_posix_path.strip("/").replace("/", "\\")
        return f"{self.full}\\{tail}" if tail else self.full


def _show(name: str) -> str:
    """Quote a component for a message, shortening very long ones."""
    return repr(name if len(name) <= 40 else name[:37] + "...")


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _character_violation(name: str) -> str | None:
    for ch in name:
        code = ord(ch)
        if ch in _FORBIDDEN:
            return f"component {_show(name)} contains a forbidden character {ch!r}"
        # The rules name U+0001-U+001F and U+007F-U+009F; NUL can never appear in a file name either.
        if code <= 0x1F or 0x7F <= code <= 0x9F:
            return f"component {_show(name)} contains control character U+{code:04X}"
        if 0xE000 <= code <= 0xF8FF or code >= 0xF0000:
            return f"component {_show(name)} contains private-use character U+{code:04X}"
        if ch in _BIDI_CONTROLS:
            return f"component {_show(name)} contains bidirectional control character U+{code:04X}"
        if 0xD800 <= code <= 0xDFFF:
            return f"component {_show(name)} contains unpaired surrogate U+{code:04X}"
    return None


def _component_violation(name: str) -> str | None:
    if not name:
        return "path contains an empty component"
    problem = _character_violation(name)
    if problem:
        return problem
    stem = name.split(".", 1)[0]
    if name in _RESERVED_EXACT or name.upper() in _DEVICE_NAMES or stem.upper() in _DEVICE_NAMES:
        return f"component {_show(name)} is a reserved name"
    if name.startswith(".fuse_hidden"):
        return f"component {_show(name)} starts with '.fuse_hidden'"
    if name.endswith("."):
        return f"component {_show(name)} ends with '.'"
    if _utf8_len(name) > MAX_COMPONENT_BYTES:
        return f"component {_show(name)} is longer than {MAX_COMPONENT_BYTES} bytes"
    return None


def naming_violation(relative_path: str, room: int = MAX_PATH_BYTES) -> str | None:
    """Check a ``/``-separated relative path against Relativity's file and folder naming rules.

    `room` is how many bytes the path may take (see `room_under`). Returns None when every component
    and the whole path are acceptable, else a short reason.
    """
    if not relative_path:
        return "path is empty"
    for name in relative_path.split("/"):
        problem = _component_violation(name)
        if problem:
            return problem
    if _utf8_len(relative_path) > room:
        return f"path is longer than {MAX_PATH_BYTES} bytes"
    return None


def room_under(destination: FilesharePath) -> int:
    """The bytes a relative path may take below `destination`: the written file's full path, the
    destination, a separator and the relative path, is what must fit in the 1,024-byte limit."""
    return MAX_PATH_BYTES - _utf8_len(destination.full) - 1


def parse_destination(path: str) -> FilesharePath:
    """Parse a UNC ``destinationPath`` under a writable staging folder of a RelativityOne fileshare.

    A single trailing backslash is accepted. Raises :class:`DestinationError` otherwise.
    """
    if not isinstance(path, str) or not path.startswith(("\\\\", "//")):
        raise DestinationError("destinationPath must be a UNC path starting with two backslashes.")
    if "/" in path:
        raise DestinationError("destinationPath must use backslashes as UNC separators, not forward slashes.")
    body = path[2:]
    if body.endswith("\\"):
        body = body[:-1]
    parts = body.split("\\")
    if len(parts) < 2 or not _HOST_RE.fullmatch(parts[0]) or not _SHARE_RE.fullmatch(parts[1]):
        raise DestinationError(
            "destinationPath must start with a RelativityOne fileshare root such as "
            "\\\\files.t001.ctus000001.r1.kcura.com\\T001."
        )
    host, share, rest = parts[0], parts[1], parts[2:]
    listing = ", ".join(STAGING_FOLDERS)
    if not rest or not rest[0]:
        raise DestinationError(f"destinationPath must name a writable staging folder ({listing}).")
    staging = _STAGING_BY_KEY.get(rest[0].casefold())
    if staging is None:
        raise DestinationError(f"destinationPath must be under a writable staging folder ({listing}).")
    problem = naming_violation("/".join([staging, *rest[1:]]))
    if problem:
        raise DestinationError(f"destinationPath is not a valid Relativity path: {problem}.")
    return FilesharePath(
        root=f"\\\\{host}\\{share}",
        host=host.lower(),
        share=share.upper(),
        staging_folder=staging,
        relative="\\".join(rest[1:]),
    )
