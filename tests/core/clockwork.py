"""A test-only service that exercises what the core does when time moves (not shipped).

Under `/clockwork`:
    POST   /jobs            {"id", "seconds", "callback"?, "retries"?}: a job on the engine that
                            finishes after `seconds`; its completion is a milestone timer that follows
                            the job (re-planned on pause, resume, cancel) and then POSTs
                            {"id": ...} to `callback` through the outbox (retried `retries` times,
                            5 virtual seconds apart, when the target fails)
    POST   /jobs/{id}/pause, /jobs/{id}/resume, DELETE /jobs/{id} (cancel)
    GET    /jobs/{id}       {"id", "status"}
    WS     /live            every status change, and a tick every `push_interval` seconds, as JSON
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from emulators.core.engine import RateModel, Transfer
from emulators.core.host import Host, world_of
from emulators.core.http import read_json_object
from emulators.core.outbox import Delivery, OutgoingRequest, Retry
from emulators.core.service import ErrorAnswer, Service, service_app
from emulators.core.storage import EntrySpec, Tree, TreeSpec
from emulators.core.timers import Timer
from emulators.core.world import World

PREFIX = "/clockwork"
TOPIC = "clockwork"
BYTES_PER_SECOND = 1000.0


class ClockworkSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    push_interval: float = Field(default=10.0, gt=0)


@dataclass
class Job:
    id: str
    transfer: Transfer
    callback: str | None
    retries: int
    milestone: Timer | None = None
    status: str = "running"


@dataclass
class ClockworkStore:
    world: World
    jobs: dict[str, Job] = field(default_factory=dict)


def build_store(world: World, section: ClockworkSection | None) -> ClockworkStore:
    section = section or ClockworkSection()
    store = ClockworkStore(world)
    world.timers.every(
        section.push_interval,
        lambda at: world.publish(TOPIC, {"tick": at.isoformat()}, at),
        world.start,
    )
    return store


def _store(request: Request | WebSocket) -> ClockworkStore:
    store = world_of(request).store_named("clockwork")
    assert isinstance(store, ClockworkStore)
    return store


def _set_status(store: ClockworkStore, job: Job, status: str, at: datetime) -> None:
    job.status = status
    store.world.publish(TOPIC, {"id": job.id, "status": status, "at": at.isoformat()}, at)


def _finish(store: ClockworkStore, job: Job, at: datetime) -> None:
    _set_status(store, job, "done", at)
    if job.callback is not None:
        body = json.dumps({"id": job.id}).encode()
        store.world.post(
            OutgoingRequest(
                "clockwork",
                "POST",
                job.callback,
                body,
                {"content-type": "application/json"},
                retry=_retry(job.retries),
            ),
            at,
        )


def _retry(retries: int) -> Retry:
    def retry(delivery: Delivery) -> float | None:
        return 5.0 if delivery.attempt <= retries else None

    return retry


async def create_job(request: Request) -> Response:
    store = _store(request)
    now = store.world.catch_up()
    body = await read_json_object(request)
    size = int(float(body["seconds"]) * BYTES_PER_SECOND)
    tree = Tree(TreeSpec(entries=[EntrySpec(path="f", size=size)]), 0, now)
    transfer = Transfer(tree.files(), RateModel(bandwidth=BYTES_PER_SECOND, per_file=0), now)
    job = Job(str(body["id"]), transfer, body.get("callback"), int(body.get("retries", 0)))
    store.jobs[job.id] = job
    job.milestone = store.world.timers.follow(
        transfer,
        lambda: None if transfer.stop is not None else transfer.end,
        lambda at: _finish(store, job, at),
    )
    _set_status(store, job, "running", now)
    return JSONResponse({"id": job.id, "status": job.status}, status_code=201)


async def change_job(request: Request) -> Response:
    store = _store(request)
    now = store.world.catch_up()
    job = store.jobs[request.path_params["job_id"]]
    action = request.path_params.get("action", "cancel")
    if action == "pause":
        job.transfer.pause(now)
        _set_status(store, job, "paused", now)
    elif action == "resume":
        job.transfer.resume(now)
        _set_status(store, job, "running", now)
    else:
        job.transfer.cancel(now)
        _set_status(store, job, "cancelled", now)
    return JSONResponse({"id": job.id, "status": job.status})


async def read_job(request: Request) -> Response:
    store = _store(request)
    store.world.catch_up()
    job = store.jobs[request.path_params["job_id"]]
    return JSONResponse({"id": job.id, "status": job.status})


@dataclass(eq=False)
class _Listener:
    websocket: WebSocket

    async def deliver(self, message: object) -> None:
        await self.websocket.send_text(json.dumps(message))


async def live(websocket: WebSocket) -> None:
    world = world_of(websocket)
    await websocket.accept()
    subscription = world.subscribers.add(TOPIC, _Listener(websocket))
    try:
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        subscription.cancel()


def _error(request: Request, answer: ErrorAnswer) -> Response:
    return JSONResponse({"error": answer.message}, status_code=answer.status)


ROUTES = [
    Route("/jobs", create_job, methods=["POST"]),
    Route("/jobs/{job_id}", read_job, methods=["GET"]),
    Route("/jobs/{job_id}", change_job, methods=["DELETE"]),
    Route("/jobs/{job_id}/{action}", change_job, methods=["POST"]),
    WebSocketRoute("/live", live),
]


def routes(host: Host) -> list[BaseRoute]:
    return [Mount(PREFIX, app=service_app(host, ROUTES, _error))]


CLOCKWORK = Service(
    name="clockwork",
    section=ClockworkSection,
    build_store=build_store,
    routes=routes,
    render_error=_error,
)
