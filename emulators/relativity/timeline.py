"""Timeline actions a scenario can schedule for the Relativity service.

rotate_account_key {account, key?}   the account key changes: SAS tokens signed with the old key
                                      stop working (running copies fail ER_00005, as Azure answers
                                      CannotVerifyCopySource; a listing that has not ended, or not
                                      begun, fails with ER_00001, as List Blobs answers
                                      AuthenticationFailed)
expire_token {token}                  a bearer token stops working at that instant
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from emulators.core.service import TimelineAction
from emulators.core.world import World
from emulators.relativity.errors import COPY_SOURCE_DENIED, LISTING_DENIED, er_code
from emulators.relativity.store import RelativityStore


def rotate_account_key(world: World, args: Mapping[str, Any], at: datetime) -> None:
    store = world.store(RelativityStore)
    account = store.accounts[str(args["account"])]
    account.key = str(
        args.get("key") or base64.b64encode(hashlib.sha256(account.key.encode()).digest()).decode()
    )
    for job in store.jobs.values():
        if job.source.account != account.name or job.cancelled_at is not None:
            continue
        if at < job.pickup:
            job.fail_enumeration(job.pickup, er_code(LISTING_DENIED))
        elif job.transfer is not None and at < job.transfer.end:
            job.transfer.abort(at, er_code(COPY_SOURCE_DENIED))
            if at < job.transfer.enumeration_end:
                job.fail_enumeration(at, er_code(LISTING_DENIED))


def expire_token(world: World, args: Mapping[str, Any], at: datetime) -> None:
    world.store(RelativityStore).tokens.expire(str(args["token"]), at)


ACTIONS: dict[str, TimelineAction] = {
    "rotate_account_key": rotate_account_key,
    "expire_token": expire_token,
}
