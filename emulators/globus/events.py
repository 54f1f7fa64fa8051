"""A task's event list (GET /task/{id}/event_list): what happened to it, newest first.

Events are computed from the task at the instant asked, never stored: STARTED when the engine
starts, PROGRESS every `behaviour.progress_interval` while it runs (none while INACTIVE),
NO_CREDENTIALS when an endpoint's activation expires, an error event for each transient error (at
the instant the step failed; its retry then succeeds) and each skipped error, then one closing
event: SUCCEEDED, CANCELED, EXPIRED or the fatal error's code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulators.globus.plan import Step
    from emulators.globus.tasks import Task, TaskType

NO_CREDENTIALS = "NO_CREDENTIALS"
EVENT_DESCRIPTIONS = {
    "STARTED": "started",
    "PROGRESS": "progress",
    "SUCCEEDED": "succeeded",
    "CANCELED": "canceled",
    "EXPIRED": "expired",
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


def error_details(step: Step) -> str:
    return f"Error on path '{step.source_path or step.destination_path}'"


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
    for start, _, _ in task.transfer.pauses:
        if start <= end:
            events.append(Event(start, NO_CREDENTIALS, True, "The endpoint's activation expired"))
    for position, code in sorted(task.plan.transient.items()):
        if task.error_time(position) <= task.limit(at):
            step = task.plan.steps[position]
            events.append(Event(task.error_time(position), code, True, error_details(step)))
    done = task.done_steps(at)
    for position, code in sorted(task.plan.skipped.items()):
        if position < done:
            step = task.plan.steps[position]
            events.append(Event(task.step_time(position), code, True, error_details(step)))
    status, fatal = task.status(at)
    if status == "SUCCEEDED":
        events.append(Event(task.completion, "SUCCEEDED", False, "{}"))
    elif fatal == "CANCELED":
        events.append(Event(task.completion, "CANCELED", True, "Canceled by the task owner"))
    elif fatal == "EXPIRED":
        events.append(Event(task.completion, "EXPIRED", True, "The task deadline passed"))
    elif fatal is not None:
        step = task.plan.steps[min(task.plan.fatal)]
        events.append(Event(task.completion, fatal, True, error_details(step)))
    # Oldest first, then reversed: of two events at the same instant the later one comes first.
    events.sort(key=lambda e: e.time)
    events.reverse()
    return events
