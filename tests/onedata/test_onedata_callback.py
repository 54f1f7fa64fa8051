"""The completion callback (reference 7): POST {"transferId"} once, on success only, no retries,
delivered before the clock advance returns; reruns inherit it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from onedata_helpers import LISBON, Onedata
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from emulators.server import ThreadedServer


@dataclass
class Receiver:
    """A real HTTP server that records the callbacks it gets; answers with `status`."""

    url: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    status: int = 204


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    async def record(request: Request) -> Response:
        received.calls.append({"path": request.url.path, "body": json.loads(await request.body())})
        return Response(status_code=received.status)

    server = ThreadedServer(Starlette(routes=[Route("/{path:path}", record, methods=["POST"])])).start()
    received = Receiver(server.url)
    yield received
    server.stop()


def outbound(onedata: Onedata) -> list[dict[str, Any]]:
    return [e for e in onedata.emulator.control.requests() if e["direction"] == "outbound"]


def test_a_completed_replication_calls_back_exactly_once(onedata: Onedata, receiver: Receiver) -> None:
    transfer_id = onedata.create("data", callback=f"{receiver.url}/done")
    onedata.advance(4.9)  # active at 2 s, 3 MiB at 1 MiB/s: completes at 5 s
    assert receiver.calls == []
    onedata.advance(0.1)
    assert receiver.calls == [{"path": "/done", "body": {"transferId": transfer_id}}]
    onedata.advance(60)
    assert len(receiver.calls) == 1
    assert onedata.status(transfer_id)["callback"] == f"{receiver.url}/done"


def test_a_migration_calls_back_only_after_its_eviction(onedata: Onedata, receiver: Receiver) -> None:
    transfer_id = onedata.create(
        "data/a.bin", type="migration", evictingProviderId=LISBON, callback=receiver.url
    )
    onedata.advance(3)  # replication done at 3 s; eviction takes 0.01 s more
    assert onedata.status(transfer_id)["transferStatus"] == "evicting"
    assert receiver.calls == []
    onedata.advance(1)
    assert [call["body"] for call in receiver.calls] == [{"transferId": transfer_id}]


def test_nothing_is_sent_on_cancel_or_failure(
    onedata_with: Callable[..., Onedata], receiver: Receiver
) -> None:
    onedata = onedata_with('    data_faults: [{match: "My Space 1/data/a.bin", error: eio}]\n')
    failed = onedata.create("data", callback=receiver.url)
    cancelled = onedata.create("Dir2", callback=receiver.url)
    onedata.advance(3)
    onedata.cancel(cancelled)
    onedata.advance(60)
    assert onedata.status(failed)["transferStatus"] == "failed"
    assert onedata.status(cancelled)["transferStatus"] == "cancelled"
    assert receiver.calls == []


def test_a_failing_target_is_not_retried(onedata: Onedata, receiver: Receiver) -> None:
    receiver.status = 503  # (a 500, even a target's, fails the plugin's own 500 check)
    onedata.create("data/a.bin", callback=receiver.url)
    onedata.advance(60)
    assert len(receiver.calls) == 1
    assert [e["status"] for e in outbound(onedata)] == [503]


def test_a_rerun_inherits_the_callback(onedata_with: Callable[..., Onedata], receiver: Receiver) -> None:
    onedata = onedata_with(behaviour="\n      failure_threshold: 0")
    first = onedata.create("Dir2", callback=receiver.url)
    onedata.advance(3)
    onedata.cancel(first)
    onedata.advance(2)
    second = onedata.rerun(first).json()["transferId"]
    onedata.advance(30)
    assert [call["body"] for call in receiver.calls] == [{"transferId": second}]
