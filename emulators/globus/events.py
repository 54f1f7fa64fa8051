"""A task's event list (GET /task/{id}/event_list): what happened to it, newest first.

Events are computed from the task at the instant asked, never stored: STARTED when the engine
starts, PROGRESS every `behaviour.progress_interval` while it runs (none while INACTIVE),
NO_CREDENTIALS when an endpoint's activation expires, PAUSED and UNPAUSED when an endpoint manager
pauses and resumes it (task_events lifecycle codes), an error event for each transient error (at
the instant the step failed; its retry then succeeds) and each skipped error, then one closing
event: SUCCEEDED, CANCELED, EXPIRED or the fatal error's code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from emulators.globus.endpoints import expand_home

if TYPE_CHECKING:
    from emulators.globus.plan import Step
    from emulators.globus.store import Collection
    from emulators.globus.tasks import Task, TaskType

NO_CREDENTIALS = "NO_CREDENTIALS"
EVENT_DESCRIPTIONS = {
    "STARTED": "started",
    "PROGRESS": "progress",
    "SUCCEEDED": "succeeded",
    "CANCELED": "canceled",
    "EXPIRED": "expired",
    "PAUSED": "paused",
    "UNPAUSED": "unpaused",
}


def iso(at: datetime) -> str:
    """Task and event times: ISO 8601, `T`-separated, whole seconds, `+00:00`."""
    return at.astimezone(UTC).replace(microsecond=0).isoformat()


def description(code: str) -> str:
    """An event's or fatal error's `description`: the code in lower case words."""
    return EVENT_DESCRIPTIONS.get(code, code.lower().replace("_", " "))


@dataclass
class Event:
    time: datetime
    code: str
    is_error: bool
    details: str

    def document(self) -> dict[str, Any]:
        return {
            "DATA_TYPE": "event",
            "code": self.code,
            "description": description(self.code),
            "details": self.details,
            "is_error": self.is_error,
            "time": iso(self.time),
        }


def started_details(kind: TaskType) -> str:
    name = "GridFTP Transfer" if kind == "TRANSFER" else "GridFTP Delete"
    return json.dumps({"type": name, "concurrency": 2, "parallelism": 4, "pipelining": 20}, indent=2)


# The error class and errno a GridFTP server reports for a task error code, and the errno's text.
# Reference 5.3 shows FILE_NOT_FOUND as `550-GlobusError: v=1 c=PATH_NOT_FOUND`; the rest follow it.
_REPLIES = {
    "FILE_NOT_FOUND": ("PATH_NOT_FOUND", 2, "No such file or directory"),
    "PERMISSION_DENIED": ("PERMISSION_DENIED", 13, "Permission denied"),
    "NOT_A_DIRECTORY": ("NOT_A_DIRECTORY", 20, "Not a directory"),
    "IS_A_DIRECTORY": ("IS_A_DIRECTORY", 21, "Is a directory"),
    "NO_SPACE_LEFT": ("NO_SPACE_LEFT", 28, "No space left on device"),
    "QUOTA_EXCEEDED": ("QUOTA_EXCEEDED", 122, "Disk quota exceeded"),
}
# Codes found at the destination; the others (a missing or unreadable source, data faults on the
# source) are the source endpoint's.
_DESTINATION_CODES = frozenset({"NOT_A_DIRECTORY", "IS_A_DIRECTORY", "NO_SPACE_LEFT", "QUOTA_EXCEEDED"})


def gridftp_reply(code: str, path: str) -> str:
    """The endpoint's reply to a failed command, as `error_details` of a skipped error shows it."""
    error_class, errno, text = _REPLIES.get(code, (code, 5, "Input/output error"))
    lines = [f"GlobusError: v=1 c={error_class}", f"GridFTP-Errno: {errno}", f"GridFTP-Error-String: {text}"]
    return "".join(f"550-{line}\r\n" for line in [*lines, f"GridFTP-Path: {path}"]) + "550 End.\r\n"


def error_details(task: Task, step: Step, code: str, at_destination: bool = False) -> str:
    """An error event's `details`, in the shape of the real one (reference 5.2): the operation, the
    endpoint, the file, the command, then the endpoint's reply. `at_destination`: the error is the
    destination's whatever its code (see `Plan.destination_errors`)."""
    collection: Collection = task.source
    if step.action == "remove":
        operation, command, named = "delete", "RMD" if step.entry.kind == "dir" else "DELE", step.source_path
        named = named or step.destination_path
        collection = task.destination or task.source
    elif step.action == "mkdir":
        operation, command, named = "make directories", "MKD", step.destination_path
        collection = task.destination or task.source
    elif code in _DESTINATION_CODES or at_destination:
        operation, command, named = "transfer", "STOR", step.destination_path
        collection = task.destination or task.source
    else:
        operation, command, named = "transfer", "RETR", step.source_path
    path = expand_home(collection, named)
    return failure_text(operation, collection, path, command, gridftp_reply(code, path))


def failure_text(operation: str, collection: Collection, path: str, command: str, reply: str) -> str:
    """`Error (operation)`, the endpoint, file and command, then the endpoint's reply."""
    endpoint = f"{collection.spec.display_name} ({collection.id})"
    return (
        f"Error ({operation})\nEndpoint: {endpoint}\nFile: {path}\nCommand: {command} {path}\n"
        f"Message: Fatal FTP response\n---\nDetails: {reply}"
    )


def _progress(task: Task, end: datetime) -> list[Event]:
    events = []
    interval = timedelta(seconds=task.progress_interval)
    tick = task.start + interval
    while tick < end:
        if not task.transfer.paused(tick):
            bytes_done = task.transfer.progress(tick).succeeded_bytes if task.type == "TRANSFER" else 0
            details = json.dumps({"bytes_transferred": bytes_done, "duration": task.progress_interval})
            events.append(Event(tick, "PROGRESS", False, details))
        tick += interval
    return events


def task_events(task: Task, at: datetime) -> list[Event]:
    """Every event of `task` that has happened by `at`, newest first."""
    end = min(at, task.completion)
    events = []
    if task.start <= end:
        events.append(Event(task.start, "STARTED", False, started_details(task.type)))
    events += _progress(task, end)
    for hold in task.inactive:
        if hold.start <= end:
            events.append(Event(hold.start, NO_CREDENTIALS, True, "The endpoint's activation expired"))
    for hold in task.admin_pauses:
        if hold.start <= end:
            events.append(
                Event(hold.start, "PAUSED", False, f"Paused by an endpoint manager: {hold.message}")
            )
        if hold.end is not None and hold.end <= end:
            events.append(Event(hold.end, "UNPAUSED", False, "Resumed by an endpoint manager"))
    for position, code in sorted(task.plan.transient.items()):
        if task.error_time(position) <= task.limit(at):
            step = task.plan.steps[position]
            events.append(Event(task.error_time(position), code, True, error_details(task, step, code)))
    done = task.done_steps(at)
    for position, code in sorted(task.plan.skipped.items()):
        if position < done:
            step = task.plan.steps[position]
            events.append(Event(task.step_time(position), code, True, error_details(task, step, code)))
    status, fatal = task.status(at)
    if status == "SUCCEEDED":
        events.append(Event(task.completion, "SUCCEEDED", False, "{}"))
    elif fatal == "CANCELED":
        by = "the task owner"
        if task.canceled_by_admin is not None:
            by = f"an endpoint manager: {task.canceled_by_admin_message}"
        events.append(Event(task.completion, "CANCELED", True, f"Canceled by {by}"))
    elif fatal == "EXPIRED":
        events.append(Event(task.completion, "EXPIRED", True, "The task deadline passed"))
    elif fatal is not None:
        position = min(task.plan.fatal)
        at_destination = position in task.plan.destination_errors
        details = error_details(task, task.plan.steps[position], fatal, at_destination)
        events.append(Event(task.completion, fatal, True, details))
    # Oldest first, then reversed: of two events at the same instant the later one comes first.
    events.sort(key=lambda e: e.time)
    events.reverse()
    return events
