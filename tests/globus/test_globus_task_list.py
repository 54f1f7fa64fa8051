"""GET /task_list: the caller's tasks, filtered (`field:v1,v2/field2:...`), ordered and paged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from globus_helpers import Globus, globus, item

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
