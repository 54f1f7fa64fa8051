"""What every benchmark shares: result rows, percentiles, memory readings and the benchmark job."""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from emulators.relativity.scenario import DEV_ACCOUNT, DEV_ACCOUNT_KEY

BASE_URL = "http://emulator.test"
JOBS_PATH = "/transfer-service/api/v2/transfer/jobs"
AUTH = {"Authorization": "Bearer relativity-dev-token"}
CONTAINER = "files-1m"
DESTINATION = r"\\files.t001.ctus000001.r1.kcura.com\T001\StructuredData\Bench"
# The default behaviour copies files-1m in about 6,600 virtual seconds after pickup, so this is
# mid-transfer: enumeration is done and a little under half the files have been copied.
MID_TRANSFER_SECONDS = 3_000.0
MIB = 2**20
STOP_SECONDS = 10.0  # how long a child server may take to exit before it is killed


@dataclass
class Metric:
    """One measured figure, optionally against a target."""

    benchmark: str
    name: str
    value: float | int | None
    unit: str
    target: str | None = None
    met: bool | None = None
    note: str = ""


@dataclass
class Report:
    """What one benchmark produced: its figures, extra details for the JSON file, or its crash."""

    name: str
    metrics: list[Metric] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

    def add(
        self,
        name: str,
        value: float | int | None,
        unit: str,
        *,
        target: str | None = None,
        met: bool | None = None,
        note: str = "",
    ) -> None:
        self.metrics.append(Metric(self.name, name, value, unit, target, met, note))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "metrics": [asdict(m) for m in self.metrics],
            "details": self.details,
        }


@dataclass(frozen=True)
class Summary:
    """Latency percentiles of a sample, in milliseconds."""

    count: int
    median: float
    p95: float
    p99: float
    mean: float
    max: float

    @classmethod
    def of_seconds(cls, samples: Sequence[float]) -> Summary:
        ms = [s * 1000 for s in samples]
        cuts = statistics.quantiles(ms, n=100, method="inclusive")
        return cls(len(ms), statistics.median(ms), cuts[94], cuts[98], statistics.fmean(ms), max(ms))

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


def container_sas_url(now: datetime, container: str = CONTAINER) -> str:
    """A read-and-list SAS URL of a development-account container, valid for eight virtual days."""
    # Imported here so the memory benchmark can show what the client-side SDK adds on its own.
    from azure.storage.blob import generate_container_sas

    sas = generate_container_sas(
        DEV_ACCOUNT, container, account_key=DEV_ACCOUNT_KEY, permission="rl", expiry=now + timedelta(days=8)
    )
    return f"https://{DEV_ACCOUNT}.blob.core.windows.net/{container}?{sas}"


def job_request(now: datetime, container: str = CONTAINER) -> dict[str, str]:
    """The body of `POST v2/transfer/jobs` for a new job over `container`."""
    return {
        "transferJobID": str(uuid.uuid4()),
        "sourcePath": container_sas_url(now, container),
        "destinationPath": DESTINATION,
    }


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} is missing from /proc/self/status")


def rss_kib() -> int:
    """Resident set size now (VmRSS), in KiB."""
    return _status_kib("VmRSS")


def hwm_kib() -> int:
    """Peak resident set size of this process image (VmHWM), in KiB."""
    return _status_kib("VmHWM")


def maxrss_kib() -> int:
    """ru_maxrss (KiB on Linux). In a child process it starts at the parent's RSS when spawned,
    since Linux carries the figure over fork and exec, so VmHWM is the fairer peak."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_child(module: str, args: Sequence[str] = (), timeout: float = 120.0) -> dict[str, Any]:
    """Run `python -m <module> <args>` and return the JSON document it prints last."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{module} exited with {done.returncode}: {done.stderr.strip()[-2000:]}")
    lines = done.stdout.strip().splitlines()
    if not lines:
        raise RuntimeError(f"{module} printed nothing")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def stop_process(process: subprocess.Popen[str], *, close_stdin: bool = False) -> None:
    """Stop a child server: by closing its standard input (for one that exits when its parent goes
    away) or else by SIGTERM; kill it if it has not exited within STOP_SECONDS; close its pipes."""
    if close_stdin and process.stdin is not None:
        process.stdin.close()
    elif process.poll() is None:
        process.terminate()
    try:
        process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(STOP_SECONDS)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()
