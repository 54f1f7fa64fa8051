"""Turning a job's SAS source into an engine plan: which blobs, which fail, and why.

The doc's rules the emulator applies here, at the moment the service would discover them:
- enumeration (at agent pickup), answered as List Blobs would and mapped by `errors.er_code`: the SAS
  signature must verify with the account key (or, for a user delegation SAS, with a delegation key of
  the scenario that is valid then), the token must be inside its validity window and a
  directory SAS must carry the directory's depth (`sdd`), else AuthenticationFailed (ER_00001); an
  account SAS must cover the blob service and containers and objects (else AuthorizationServiceMismatch
  or AuthorizationResourceTypeMismatch, ER_00002); a
  directory SAS needs a hierarchical-namespace account (AuthorizationFailure, ER_00002), an HTTPS-only
  SAS (`spr=https`) is refused over plain HTTP (AuthorizationProtocolMismatch, ER_00002), the
  container, and the folder when one is named, must exist (ContainerNotFound / BlobNotFound, ER_10001);
- copy: archived blobs fail with ER_20004, names breaking the Relativity naming rules with ER_20005
  (each component, and the whole path with the destination's in front: at most 1,024 bytes; empty
  directories too, counted in failedEmptyDirectories), and data-fault rules with their own codes (a
  transient one only if it outlasts `behaviour.transient_retries`; the retries' back-off delays the
  copy, the listing or the validation, whichever stage retried); a SAS that expires before the
  copy ends aborts every unfinished file with CannotVerifyCopySource (ER_00005), and ends a listing
  still running with AuthenticationFailed (ER_00001);
- validation: a file whose path is also a folder of the job fails with ER_20005 (see `paths`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from emulators.core.datafaults import DataFault, DataFaults
from emulators.core.storage import FileRange, GeneratedFiles
from emulators.relativity.errors import LISTING_DENIED, TRANSIENT, er_code
from emulators.relativity.fileshare import FilesharePath, naming_violation, room_under
from emulators.relativity.paths import files_named_like_folders
from emulators.relativity.sas import SasError, SasUrl, verify_delegation_signature, verify_signature
from emulators.relativity.scenario import Behaviour
from emulators.relativity.store import Account

ARCHIVE_TIER = "Archive"


@dataclass
class Plan:
    """What a job will copy and how each file ends."""

    files: FileRange
    prefix: str
    room: int  # bytes a relative path may take under the destination
    behaviour: Behaviour  # its transient retries and their back-off
    failures: dict[int, str] = field(default_factory=dict)
    validation_failures: dict[int, str] = field(default_factory=dict)
    copy_delays: dict[int, float] = field(default_factory=dict)  # position -> seconds of back-off
    listing_delays: dict[int, float] = field(default_factory=dict)
    validation_delay: float = 0  # seconds of back-off, all files together
    enumeration_failure: tuple[int, str] | None = None
    empty_directories: int = 0
    failed_empty_directories: int = 0  # of `empty_directories`, those whose names break the rules


def enumeration_refusal(sas: SasUrl, account: Account, at: datetime) -> str | None:
    """The Azure error code with which listing this source fails at `at`, if it does."""
    if not _signed(sas, account, at):
        return LISTING_DENIED
    if sas.is_account_sas and "b" not in sas.params.get("ss", ""):
        return "AuthorizationServiceMismatch"
    if sas.is_account_sas and not {"c", "o"} <= set(sas.params.get("srt", "")):
        return "AuthorizationResourceTypeMismatch"  # listing needs containers, reading needs objects
    if sas.start is not None and at < sas.start:
        return LISTING_DENIED
    if sas.resource == "d" and sas.params.get("sdd") != str(len(sas.path.split("/"))):
        return LISTING_DENIED  # Azure: the signed directory depth must match the directory's
    if sas.params.get("spr") == "https" and sas.scheme != "https":
        return "AuthorizationProtocolMismatch"
    if sas.expiry is not None and at >= sas.expiry:
        return LISTING_DENIED  # "Signature not valid in the specified time frame"
    if sas.resource == "d" and not account.hierarchical_namespace:
        return "AuthorizationFailure"
    if sas.container not in account.containers:
        return "ContainerNotFound"
    if sas.path:
        # A folder with nothing under it does not exist in Blob storage (nor does a path naming a blob,
        # since the source is a container or a directory): ER_10001, "Source ... does not exist".
        tree, prefix = account.containers[sas.container], f"{sas.path}/"
        if not len(tree.files(prefix)) and not tree.empty_directories(prefix):
            return "BlobNotFound"
    return None


def _signed(sas: SasUrl, account: Account, at: datetime) -> bool:
    """Whether the account key, or for a user delegation SAS a delegation key valid at `at` that the
    SAS names, signs it."""
    try:
        if not sas.is_user_delegation:
            return verify_signature(sas, account.key)
        return any(
            (key.signed_oid, key.signed_tid, key.signed_service, key.signed_version)
            == tuple(sas.params.get(k) for k in ("skoid", "sktid", "sks", "skv"))
            and (key.signed_start, key.signed_expiry) == (sas.key_start, sas.key_expiry)
            and key.signed_start <= at < key.signed_expiry
            and verify_delegation_signature(sas, key.value)
            for key in account.delegation_keys
        )
    except SasError:
        return False


def make_plan(
    sas: SasUrl, account: Account, faults: DataFaults, destination: FilesharePath, behaviour: Behaviour
) -> Plan:
    """The files under the SAS source and each file's outcome when written under `destination`."""
    tree = account.containers[sas.container]
    prefix = f"{sas.path}/" if sas.path else ""
    files = tree.files(prefix)
    empty_directories = tree.empty_directories(prefix)
    plan = Plan(files, prefix, room_under(destination), behaviour, empty_directories=len(empty_directories))
    # The naming rules hold for folders too: an empty directory is created, or fails, as a file does.
    plan.failed_empty_directories = sum(
        naming_violation(path[len(prefix) :], plan.room) is not None for path in empty_directories
    )
    location = f"{account.name}/{sas.container}/"
    for start, generated, lo, hi in files.segments():
        if generated is None:
            for offset, entry in enumerate(files.explicit):
                _judge(plan, start + offset, entry.path, entry.attrs.get("tier"), location, faults)
        else:
            _judge_generated(plan, start, generated, lo, hi, location, faults)
    # Doc, "Job stages": during data validation "we will verify only unique file paths".
    for position in files_named_like_folders(files, empty_directories):
        if position not in plan.failures:
            plan.validation_failures.setdefault(position, "ER_20005")
    return plan


def _lasting_fault(plan: Plan, position: int, location: str, faults: DataFaults) -> DataFault | None:
    """The fault a file ends with. Doc, "Error codes": ER_99999 is "non-transient", so a transient
    Azure error is retried, up to `behaviour.transient_retries` times, and kept only if every
    attempt meets one; the retries' back-off is noted against the stage that retried."""
    fault = first = faults.outcome(location)
    made = 0
    while made < plan.behaviour.transient_retries and fault is not None and fault.error in TRANSIENT:
        made += 1
        fault = faults.outcome(location, made)
    if made and first is not None:
        _delay(plan, position, first.stage, plan.behaviour.backoff(made))
    return fault


def _judge(plan: Plan, position: int, path: str, tier: str | None, location: str, faults: DataFaults) -> None:
    fault = _lasting_fault(plan, position, location + path, faults) if faults else None
    if fault is not None and fault.stage == "enumeration":
        if plan.enumeration_failure is None:
            plan.enumeration_failure = (position, er_code(fault.error))
        return
    if fault is not None and fault.stage == "validation":
        plan.validation_failures[position] = er_code(fault.error)
        return
    if fault is not None:
        plan.failures[position] = er_code(fault.error)
    elif tier == ARCHIVE_TIER:
        plan.failures[position] = "ER_20004"
    elif naming_violation(path[len(plan.prefix) :], plan.room) is not None:
        plan.failures[position] = "ER_20005"


def _delay(plan: Plan, position: int, stage: str, seconds: float) -> None:
    """The retries' back-off holds up the stage that retried: the listing of the files after this
    one, its copy and those after it, or the validation."""
    if stage == "enumeration":
        plan.listing_delays[position] = seconds
    elif stage == "validation":
        plan.validation_delay += seconds
    else:
        plan.copy_delays[position] = seconds


def _judge_generated(
    plan: Plan, start: int, generated: GeneratedFiles, lo: int, hi: int, location: str, faults: DataFaults
) -> None:
    # Generated names differ only in their index digits and extension, so checking the first and last
    # name of the range against the naming rules (with room for the longest extension) stands for
    # all of them; fault globs need every name.
    tier = generated.spec.attrs.get("tier")
    extensions = [len(ext.encode()) for ext in generated.spec.extensions]
    room = plan.room - (max(extensions) - min(extensions))
    if (
        not faults
        and tier != ARCHIVE_TIER
        and all(naming_violation(generated.path(i)[len(plan.prefix) :], room) is None for i in {lo, hi - 1})
    ):
        return
    for i in range(lo, hi):
        _judge(plan, start + i - lo, generated.path(i), tier, location, faults)
