"""Timeline actions a scenario can schedule for the Onedata service.

provider_offline {provider}   the provider stops answering: the files transfers read from it and have
                              not finished fail (past the failure threshold the transfer aborts),
                              later transfers read elsewhere, its distribution shows a failure
provider_online {provider}    it answers again (for transfers created from then on)
storage_full {provider}       its storage fills up: replications to it fail the files they have not
                              finished (`enospc`; past the failure threshold the transfer aborts), and
                              new replications to it are refused with `enospc`
storage_freed {provider}      it has room again (for transfers created from then on)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from emulators.core.service import TimelineAction
from emulators.core.world import World
from emulators.onedata.store import OnedataStore


def provider_offline(world: World, args: Mapping[str, Any], at: datetime) -> None:
    world.store(OnedataStore).set_online(str(args["provider"]), False, at)


def provider_online(world: World, args: Mapping[str, Any], at: datetime) -> None:
    world.store(OnedataStore).set_online(str(args["provider"]), True, at)


def storage_full(world: World, args: Mapping[str, Any], at: datetime) -> None:
    world.store(OnedataStore).fill_storage(str(args["provider"]), True, at)


def storage_freed(world: World, args: Mapping[str, Any], at: datetime) -> None:
    world.store(OnedataStore).fill_storage(str(args["provider"]), False, at)


ACTIONS: dict[str, TimelineAction] = {
    "provider_offline": provider_offline,
    "provider_online": provider_online,
    "storage_full": storage_full,
    "storage_freed": storage_freed,
}
