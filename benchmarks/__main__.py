"""Run the benchmarks, print a table of measured figures against targets and write results.json.

    python -m benchmarks [--only NAME ...] [--output FILE]

Timings never fail the run: a missed target is reported as such. The exit status is 1 only when a
benchmark crashed (its traceback is printed and recorded); the others still run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from benchmarks import (
    control_state,
    globus_load,
    hub_pushes,
    memory,
    onedata_status,
    reset_cycles,
    startup,
    status_latency,
    throughput,
    time_moves,
)
from benchmarks.common import Metric, Report

# Each module has a NAME and a run() that returns a Report.
BENCHMARKS: dict[str, ModuleType] = {
    "latency": status_latency,
    "memory": memory,
    "throughput": throughput,
    "startup": startup,
    "time": time_moves,
    "state": control_state,
    "globus": globus_load,
    "onedata": onedata_status,
    "cycles": reset_cycles,
    "hub": hub_pushes,
}
DEFAULT_OUTPUT = Path(__file__).with_name("results.json")


def run_one(key: str) -> Report:
    """Run one benchmark; a crash becomes the report's error instead of propagating."""
    module = BENCHMARKS[key]
    started = time.perf_counter()
    try:
        report: Report = module.run()
    except Exception:
        report = Report(module.NAME, error=traceback.format_exc())
    report.seconds = time.perf_counter() - started
    return report


def _value(metric: Metric) -> str:
    value = metric.value
    if value is None:
        return "-"
    if isinstance(value, int) or abs(value) >= 1000:
        text = f"{value:,.0f}"
    elif abs(value) >= 100:
        text = f"{value:.1f}"
    elif abs(value) >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.4f}"
    return f"{text} {metric.unit}"


def _verdict(metric: Metric) -> str:
    if metric.met is None:
        return ""
    return "met" if metric.met else "MISSED"


def table(reports: list[Report]) -> str:
    """The reports as a plain-text table, one block per benchmark."""
    rows = [(m.name, _value(m), m.target or "", _verdict(m), m.note) for r in reports for m in r.metrics]
    heads = ("metric", "measured", "target", "", "note")
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(heads[:4])]

    def line(cells: tuple[str, ...]) -> str:
        first = [cells[0].ljust(widths[0]), cells[1].rjust(widths[1]), cells[2].ljust(widths[2])]
        return "  ".join([*first, cells[3].ljust(widths[3]), cells[4]]).rstrip()

    out = [line(heads)]
    for report in reports:
        out.append("")
        out.append(f"{report.name}  ({report.seconds:.1f} s)")
        if report.error is not None:
            out.append("  CRASHED: " + report.error.strip().splitlines()[-1])
        out.extend(
            "  " + line((m.name, _value(m), m.target or "", _verdict(m), m.note)) for m in report.metrics
        )
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run just these benchmarks")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the JSON results")
    args = parser.parse_args()
    keys = args.only or list(BENCHMARKS)
    started = time.perf_counter()
    reports = []
    for key in keys:
        print(f"running {key} ...", file=sys.stderr, flush=True)
        report = run_one(key)
        if report.error is not None:
            print(report.error, file=sys.stderr)
        reports.append(report)
    total = time.perf_counter() - started
    print(table(reports))
    document = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "seconds": round(total, 1),
        "benchmarks": [r.as_dict() for r in reports],
    }
    args.output.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\n{len(reports)} benchmark(s) in {total:.0f} s; results written to {args.output}")
    return 1 if any(r.error is not None for r in reports) else 0


if __name__ == "__main__":
    raise SystemExit(main())
