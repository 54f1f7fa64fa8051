"""Timeline actions a scenario can schedule for the Amove service: the world events a cloud-to-cloud
transfer meets (the public docs describe none; how each is read is in docs/amove.md).

revoke_credentials {cloud_account}   the provider refuses the account's credentials from then on:
                                     a Created or Running transfer reading from or writing to it
                                     stops (at its pickup, if later) and ends Error; every object
                                     not yet copied fails with `InvalidAccessKeyId`
restore_credentials {cloud_account}  they work again: transfers not yet picked up go ahead
provider_down {provider, region?}    the provider (or one region of it) stops answering: transfers
                                     touching it stand still, retrying, and give up after
                                     `behaviour.outage_retry` seconds (the objects not yet copied
                                     fail with `ServiceUnavailable`)
provider_up {provider, region?}      it answers again: the transfers it held go on where they were
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from emulators.amove.scenario import CLOUD_PROVIDERS
from emulators.amove.store import AmoveStore, CloudAccount, Outage
from emulators.amove.transfers import credentials, give_up, revoked_reason
from emulators.core.engine import Stop
from emulators.core.service import TimelineAction
from emulators.core.world import World


def _cloud(store: AmoveStore, args: Mapping[str, Any]) -> CloudAccount:
    wanted = str(args["cloud_account"]).lower()
    return next(c for c in store.cloud_accounts.values() if c.id == wanted)


def _outage(args: Mapping[str, Any]) -> Outage:
    region = args.get("region")
    return Outage(CLOUD_PROVIDERS[str(args["provider"])], str(region) if region else None)


def revoke_credentials(world: World, args: Mapping[str, Any], at: datetime) -> None:
    store = world.store(AmoveStore)
    cloud = _cloud(store, args)
    cloud.revoked = True
    for transfer in store.transfers.values():
        if transfer.touches(cloud) and transfer.active(at):
            transfer.stop(credentials(cloud), Stop(max(at, transfer.pickup), revoked_reason(cloud)))


def restore_credentials(world: World, args: Mapping[str, Any], at: datetime) -> None:
    store = world.store(AmoveStore)
    cloud = _cloud(store, args)
    cloud.revoked = False
    for transfer in store.transfers.values():
        stop = transfer.stop_for(credentials(cloud))
        if stop is not None and stop.at > at:  # not picked up yet: it never met the refusal
            transfer.stop(credentials(cloud), None)


def provider_down(world: World, args: Mapping[str, Any], at: datetime) -> None:
    store = world.store(AmoveStore)
    outage = _outage(args)
    if outage in store.down:
        return
    store.down[outage] = at
    for transfer in store.transfers.values():
        if transfer.touched_by(outage) and transfer.active(at):
            since = max(at, transfer.pickup)
            transfer.hold(outage, since, give_up(store, outage, since))


def provider_up(world: World, args: Mapping[str, Any], at: datetime) -> None:
    store = world.store(AmoveStore)
    outage = _outage(args)
    store.down.pop(outage, None)
    for transfer in store.transfers.values():
        transfer.release(outage, at)


ACTIONS: dict[str, TimelineAction] = {
    "revoke_credentials": revoke_credentials,
    "restore_credentials": restore_credentials,
    "provider_down": provider_down,
    "provider_up": provider_up,
}
