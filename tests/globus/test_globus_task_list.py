"""GET /task_list: the caller's tasks, filtered (`field:v1,v2/field2:...`), ordered and paged; and the
endpoint manager's task list."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from globus_helpers import COLLEAGUE_TOKEN, LAB, SHARED, Globus, globus, item

__all__ = ["globus"]


def test_task_list_filters_orders_and_pages(globus: Globus):
    first = globus.transfer(label="alpha one")
    globus.advance(1)
    second = globus.transfer(label="beta two")
    globus.advance(1)
    deleted = globus.delete("/~/experiments/run-001/summary.csv", label="cleanup")

    def ids(**params: Any) -> list[str]:
        body = globus.ok(globus.get("/task_list", params=params))
        assert body["DATA_TYPE"] == "task_list" and body["total"] >= body["length"]
        return [t["task_id"] for t in body["DATA"]]

    assert ids() == [deleted, second, first], "request_time DESC by default"
    assert ids(orderby="request_time ASC") == [first, second, deleted]
    assert ids(filter="type:TRANSFER") == [second, first]
    assert ids(filter="type:DELETE/label:cleanup") == [deleted]
    assert ids(filter="label:~alpha") == [first]
    assert ids(filter="label:!~*o*") == [deleted]
    assert ids(filter="label:!alpha one", orderby="label ASC") == [second, deleted]
    assert ids(filter=f"task_id:{first},{deleted}") == [deleted, first]
    assert ids(filter="status:ACTIVE,INACTIVE") == [deleted, second, first]
    globus.advance(60)
    assert ids(filter="status:SUCCEEDED/type:TRANSFER") == [second, first]
    started = (globus.now() - timedelta(seconds=61)).strftime("%Y-%m-%d %H:%M:%S")
    assert ids(filter=f"request_time:{started},") == [deleted, second]
    page = globus.ok(globus.get("/task_list", params={"limit": 1, "offset": 1}))
    assert (page["length"], page["total"], page["DATA"][0]["task_id"]) == (1, 3, second)
    fields = globus.ok(globus.get("/task_list", params={"fields": "task_id"}))["DATA"][0]
    assert set(fields) == {"DATA_TYPE", "task_id"}


@pytest.mark.parametrize(
    "params",
    [
        {"filter": "color:red"},
        {"limit": 0},
        {"limit": 1001},
        {"offset": -1},
        {"orderby": "size"},
        {"orderby": "label SIDEWAYS"},
        {"filter": "request_time:yesterday,"},
        {"limit": "ten"},
    ],
)
def test_task_list_refuses_bad_parameters(globus: Globus, params):
    globus.error(globus.get("/task_list", params=params), 400, "ClientError.BadRequest")


def test_task_list_completion_time_ranges(globus: Globus):
    done = globus.transfer()
    globus.advance(30)
    running = globus.transfer(item("/~/instrument/", "/~/frames/"))
    assert globus.task(done)["status"] == "SUCCEEDED"
    after = (globus.now() - timedelta(seconds=60)).isoformat()
    body = globus.ok(globus.get("/task_list", params={"filter": f"completion_time:{after},"}))
    assert [t["task_id"] for t in body["DATA"]] == [done], "a running task has no completion time"
    assert globus.task(running)["completion_time"] is None


def test_task_list_label_exact_match_and_open_ended_ranges(globus: Globus):
    first = globus.transfer(label="alpha")
    globus.advance(10)
    second = globus.transfer(label="alpha two")

    def ids(text: str) -> list[str]:
        return [t["task_id"] for t in globus.ok(globus.get("/task_list", params={"filter": text}))["DATA"]]

    assert ids("label:=alpha") == [first]
    assert ids("label:~ALPHA") == [second, first], "a pattern ignores case"
    assert ids("label:~alpha*two") == [second]
    middle = (globus.now() - timedelta(seconds=5)).isoformat()
    assert ids(f"request_time:,{middle}") == [first]
    assert ids(f"request_time:{middle},") == [second]
    globus.error(
        globus.get("/task_list", params={"filter": "request_time:2030"}), 400, "ClientError.BadRequest"
    )


def test_endpoint_manager_task_list_shows_tasks_on_administered_collections(globus: Globus):
    """globus-sdk `endpoint_manager_task_list`: tasks visible through the caller's role on the
    collections, whoever submitted them, newest first, with `last_key` paging (reference 2:
    "task_list uses `last_key` paging") and the documented filter rules."""
    shared = globus.transfer_document(
        source=SHARED, destination=SHARED, DATA=[item("/public/README.md", "/c.md")]
    )
    theirs = globus.ok(globus.post("/transfer", shared, token=COLLEAGUE_TOKEN), 202)["task_id"]
    mine = [globus.transfer(), globus.transfer()]

    def listing(token: str | None = None, **params: Any) -> dict[str, Any]:
        return dict(globus.ok(globus.get("/endpoint_manager/task_list", token=token, params=params)))

    running = listing(filter_status="ACTIVE,INACTIVE")
    assert [t["task_id"] for t in running["DATA"]] == [mine[1], mine[0], theirs]
    assert running["DATA"][2]["owner_string"] == "colleague@example.org"
    assert running["DATA"][2]["source_host_endpoint_id"] == LAB
    assert listing(COLLEAGUE_TOKEN, filter_status="ACTIVE")["DATA"] == []
    first = listing(filter_status="ACTIVE", limit=2)
    assert (len(first["DATA"]), first["has_next_page"], first["last_key"]) == (2, True, mine[0])
    rest = listing(filter_status="ACTIVE", limit=2, last_key=first["last_key"])
    assert ([t["task_id"] for t in rest["DATA"]], rest["has_next_page"]) == ([theirs], False)
    by_endpoint = listing(filter_endpoint=LAB, filter_endpoint_use="destination")
    assert [t["task_id"] for t in by_endpoint["DATA"]] == [theirs], "the guest's host counts as the endpoint"
    assert [t["task_id"] for t in listing(filter_task_id=theirs)["DATA"]] == [theirs]
    for refused in (
        {},
        {"filter_status": "SUCCEEDED"},
        {"filter_task_id": theirs, "filter_status": "ACTIVE"},
        {"filter_status": "ACTIVE", "filter_endpoint_use": "source"},
        {"filter_status": "ACTIVE", "last_key": "nowhere"},
        {"filter_task_id": ",".join(str(uuid.uuid4()) for _ in range(51))},
    ):
        globus.error(globus.get("/endpoint_manager/task_list", params=refused), 400, "ClientError.BadRequest")
