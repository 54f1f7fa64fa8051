"""Planning a delete task (doc 2.6-2.7): which paths go, in what order, and which fail.

Files (and symlinks, never followed) are removed first, then directories deepest first; a directory
needs the top-level `recursive`; a missing path fails with FILE_NOT_FOUND unless `ignore_missing`.
With `interpret_globs` the last path component is a shell pattern (`*`, `?`, `[...]`) unless escaped
by a backslash, the rest of the path has its escapes removed, dot files are matched only by a
literal dot, `.` and `..` never; the component before the pattern must be a directory (a symlink to
one is followed). Data-fault rules judge each removal as for transfers.
"""

from __future__ import annotations

import re
from datetime import datetime

from emulators.core.datafaults import DataFaults
from emulators.globus.endpoints import follow, resolve
from emulators.globus.models import DeleteDocument
from emulators.globus.plan import CHUNK, FATAL, Chunked, Plan, Step, location, missing, weightless
from emulators.globus.store import Collection

_GLOB_CHARS = re.compile(r"(?<!\\)[*?\[\]]")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def glob_pattern(component: str) -> re.Pattern[str]:
    """Doc 2.6, interpret_globs: a shell pattern for one path component, backslash escapes literal."""
    out, i = [], 0
    while i < len(component):
        c = component[i]
        if c == "\\" and i + 1 < len(component):
            out.append(re.escape(component[i + 1]))
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = component.find("]", i + 2)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = component[i + 1 : end]
                negate = body.startswith("!")
                body = re.sub(r"([\\\]^])", r"\\\1", body[1:] if negate else body)
                out.append(f"[{'^' if negate else ''}{body}]")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out))


def expand_globs(collection: Collection, path: str, at: datetime) -> list[str] | str | None:
    """What a delete_item path names with interpret_globs (doc 2.6).

    None if its last component has no glob; else the matching file-system paths, or an error code
    when the second-to-last component is not a directory (a symlink to one is followed).
    """
    fs = collection.fs
    head, _, last = path.rstrip("/").rpartition("/")
    if not _GLOB_CHARS.search(last):
        return None
    parent = resolve(collection, _unescape(head) or "/")
    directory = fs.stat(parent, at)
    if directory is not None and directory.kind == "symlink":
        directory = follow(collection, directory, at)
        parent = directory.path if directory is not None else parent
    if directory is None:
        return "FILE_NOT_FOUND"
    if directory.kind != "dir":
        return "NOT_A_DIRECTORY"
    pattern = glob_pattern(last)
    literal_dot = last.startswith(".") or last.startswith("\\.")
    return [
        child.path
        for child in fs.listdir(parent, at) or []
        if child.name not in (".", "..")
        and (literal_dot or not child.name.startswith("."))
        and pattern.fullmatch(child.name)
    ]


def delete_plan(
    doc: DeleteDocument, collection: Collection, faults: DataFaults, at: datetime
) -> Chunked[Plan]:
    """The steps of a delete task: files first, then directories deepest first."""
    fs = collection.fs
    plan = Plan()
    removals: list[tuple[Step, str | None]] = []
    directories: list[Step] = []
    for path in doc.paths:
        yield
        expanded = expand_globs(collection, path, at) if doc.interpret_globs else None
        if isinstance(expanded, str):
            if expanded == "NOT_A_DIRECTORY" or not doc.ignore_missing:
                removals.append((Step(missing(path), "", "remove", path, "", found=False), expanded))
            continue
        literal = _unescape(path) if doc.interpret_globs else path
        targets = expanded if expanded is not None else [resolve(collection, literal)]
        if not targets and not doc.ignore_missing:
            removals.append((Step(missing(path), "", "remove", path, "", found=False), "FILE_NOT_FOUND"))
        for target in targets:
            entry = fs.stat(target, at)
            if entry is None:
                if not doc.ignore_missing:
                    step = Step(missing(target), "", "remove", path, "", found=False)
                    removals.append((step, "FILE_NOT_FOUND"))
                continue
            if entry.kind != "dir":
                removals.append((Step(weightless(entry), target, "remove", path, ""), None))
                continue
            if not doc.recursive:
                removals.append((Step(weightless(entry), target, "remove", path, ""), "IS_A_DIRECTORY"))
                continue
            for n, file in enumerate(fs.files(target, at), 1):
                removals.append((Step(weightless(file), file.path, "remove", path, ""), None))
                if n % CHUNK == 0:
                    yield
            subdirs = [fs.stat(d, at) or entry for d in fs.directories(target, at)]
            directories += [Step(weightless(d), d.path, "remove", path, "") for d in reversed(subdirs)]
            directories.append(Step(weightless(entry), target, "remove", path, ""))
    for step, code in removals:
        plan.add(step, code)
    for step in directories:
        plan.add(step)
    for position, step in enumerate(plan.steps):
        fault = faults.outcome(location(collection, step.entry.path)) if faults else None
        if fault is not None and position not in plan.fatal:
            (plan.fatal if fault.error in FATAL else plan.transient)[position] = fault.error
    return plan
