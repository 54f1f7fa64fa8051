"""Prometheus metrics at `GET /_emulator/metrics`, in the Prometheus text format.

The hot path does not count: the journal hands each answered request's record to `Metrics.answered`,
a list counted a batch at a time and whenever the metrics are read; deliveries are counted as they
happen (`Metrics.delivery`). prometheus-client is imported when the metrics are first read, and a
collector turns the counters, the journal's size and each service's census of its jobs (tasks,
transfers) by state into metric families then.

- `emulator_requests_total{service, route, method, status}`: requests answered (the journal's view,
  so `journal: {size: 0}` stops the count); `route` is the handler's name.
- `emulator_faults_fired_total{service, rule}`: answers a fault rule gave or changed.
- `emulator_outbound_deliveries_total{service, outcome}`: callbacks the emulator sent (`delivered`,
  `refused` for a status of 400 or more, `failed` for no answer).
- `emulator_jobs{service, state}`: the current World's jobs by state, from each service's census.
- `emulator_journal_entries`: entries the journal holds now.

Counters count from the server's start: a reset does not zero them, as Prometheus expects of a
counter; the gauges follow the current World.
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from emulators.core.journal import ENDPOINT, FAULT, METHOD, SERVICE, STATUS, Recorded

if TYPE_CHECKING:
    from emulators.core.host import Host

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


_REQUEST_KEY = operator.itemgetter(SERVICE, ENDPOINT, METHOD, STATUS)


class Metrics:
    """The counters, and the answered requests not counted yet; read by `render` through a
    prometheus-client collector."""

    def __init__(self) -> None:
        self.answered: list[Recorded] = []  # the journal appends; `tally` counts and empties
        self._requests: Counter[tuple[str | None, object, str, int | None]] = Counter()
        self._faults: Counter[tuple[str, str]] = Counter()
        self.deliveries: Counter[tuple[str, str]] = Counter()

    def tally(self) -> None:
        """Count the answered requests (a WebSocket handshake counts as its GET) by the endpoint that
        answered each (None when no route matched), as given: naming is left to the first read."""
        answered, self.answered = self.answered, []
        self._requests.update(map(_REQUEST_KEY, answered))
        for record in answered:
            if record[FAULT] is not None:
                self._faults[record[SERVICE] or "none", record[FAULT]] += 1

    @property
    def faults(self) -> Counter[tuple[str, str]]:
        """Answers a fault rule gave or changed, by service and rule id."""
        self.tally()
        return self._faults

    def requests_by_name(self) -> Counter[tuple[str, str, str, str]]:
        """The request counts by the names the metric shows: service, route (the handler's name, or
        `unmatched`), method and status (`none` when the request got no answer)."""
        self.tally()
        named: Counter[tuple[str, str, str, str]] = Counter()
        for (service, endpoint, method, status), count in self._requests.items():
            route = getattr(endpoint, "__name__", None) or "unmatched"
            named[service or "none", route, method, "none" if status is None else str(status)] += count
        return named

    def delivery(self, service: str | None, status: int | None, error: str | None) -> None:
        """One attempt to deliver an outgoing request."""
        outcome = (
            "failed" if error is not None or status is None else "refused" if status >= 400 else "delivered"
        )
        self.deliveries[(service or "none", outcome)] += 1


def census(collection: str, state: Callable[[Any, datetime], str]) -> Callable[[Any], Counter[str]]:
    """A service's census for `Service.census`: the items of its store's `collection` (a dict, as
    `jobs` or `transfers`) counted by `state(item, now)`, the state's name in the service's doc."""

    def count(store: Any) -> Counter[str]:
        now = store.world.clock.now()
        return Counter(state(item, now) for item in getattr(store, collection).values())

    return count


def render(host: Host) -> bytes:
    """Every metric, in the Prometheus text format."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
    from prometheus_client.registry import Collector

    metrics = host.metrics

    class _Emulator(Collector):
        def collect(self) -> Iterator[Any]:
            yield _family(
                CounterMetricFamily,
                "emulator_requests",
                "Requests answered, by service, route (the handler's name), method and status.",
                ["service", "route", "method", "status"],
                metrics.requests_by_name().items(),
            )
            yield _family(
                CounterMetricFamily,
                "emulator_faults_fired",
                "Answers a fault rule gave or changed, by service and rule id.",
                ["service", "rule"],
                metrics.faults.items(),
            )
            yield _family(
                CounterMetricFamily,
                "emulator_outbound_deliveries",
                "Requests the emulator sent (callbacks), by service and outcome.",
                ["service", "outcome"],
                metrics.deliveries.items(),
            )
            world = host.world
            census = [
                ((service.name, state), count)
                for service in host.services
                if service.census is not None
                for state, count in service.census(world.store_named(service.name)).items()
            ]
            yield _family(
                GaugeMetricFamily,
                "emulator_jobs",
                "Jobs, tasks and transfers of the current World, by service and state.",
                ["service", "state"],
                census,
            )
            yield GaugeMetricFamily(
                "emulator_journal_entries", "Entries the journal holds.", value=len(world.journal)
            )

    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Emulator())
    text: bytes = generate_latest(registry)
    return text


def _family(kind: Callable[..., Any], name: str, documentation: str, labels: list[str], samples: Any) -> Any:
    family = kind(name, documentation, labels=labels)
    for values, count in sorted(samples):
        family.add_metric(list(values), count)
    return family
