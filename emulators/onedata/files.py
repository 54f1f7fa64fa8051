"""The file surface a transfer client needs first: logical paths to file ids, a space's root
directories and providers, and the provider's own configuration (reference 5.1, 5.2).

A path's first segment is a space name, or `Name@SpaceId` when names clash; `/` is the user's root
directory, whose uuid is `userRoot_<userId>` in the virtual space `rootDirVirtualSpaceId`. A path that
names nothing is 400 `posix` `enoent` (the swagger says 404; the code answers enoent). A space's
special directories have the uuids `space_<id>`, `trash_<id>` and `archives_root_<id>`.
"""

from __future__ import annotations

from typing import Any

from emulators.onedata.auth import require
from emulators.onedata.errors import forbidden, posix, space_not_supported_by
from emulators.onedata.file_id import file_objectid, space_root_objectid
from emulators.onedata.scenario import User
from emulators.onedata.store import OnedataStore

ROOT_DIR_VIRTUAL_SPACE_ID = "rootDirVirtualSpaceId"
RTRANSFER_PORT = 6665


def lookup_file_id(store: OnedataStore, user: User, path: str) -> str:
    """The objectid of the file or directory at a logical path the user can see."""
    parts = [part for part in path.split("/") if part]
    if not parts:
        return file_objectid(f"userRoot_{user.id}", ROOT_DIR_VIRTUAL_SPACE_ID)
    name, _, space_id = parts[0].partition("@")
    for space in store.spaces.values():
        if space.spec.name == name and space_id in ("", space.id) and space.id in user.spaces:
            objectid = space.objectid("/".join(parts[1:]))
            if objectid is not None:
                return objectid
            break
    raise posix("enoent")


def space_document(store: OnedataStore, user: User | None, space_id: str) -> dict[str, Any]:
    """GET /spaces/{sid}: for a member of the space, once this provider supports it."""
    require(user, space_id)
    space = store.spaces.get(space_id)
    if space is None:
        raise forbidden()
    if store.provider_id not in space.spec.supports:
        raise space_not_supported_by(space_id, store.provider_id)
    root = space_root_objectid(space_id)
    providers = [
        {"providerId": pid, "providerName": store.providers[pid].name} for pid in space.spec.supports
    ]
    return {
        "name": space.spec.name,
        "spaceId": space_id,
        "fileId": root,  # deprecated: dirId
        "dirId": root,
        "trashDirId": file_objectid(f"trash_{space_id}", space_id),
        "archivesDirId": file_objectid(f"archives_root_{space_id}", space_id),
        "providers": providers,
    }


def configuration(store: OnedataStore) -> dict[str, Any]:
    """GET /configuration: who this provider is and which versions it works with."""
    provider = store.providers.get(store.provider_id)
    version = provider.version if provider is not None else ""
    return {
        "providerId": store.provider_id,
        "name": provider.name if provider is not None else "",
        "domain": provider.domain if provider is not None else "",
        "onezoneDomain": store.onezone_domain,
        "version": version,
        "build": "emulated",
        "rtransferPort": RTRANSFER_PORT,
        "compatibilityRegistryRevision": 1,
        "compatibleOnezoneVersions": [version],
        "compatibleOneproviderVersions": [version],
        "compatibleOneclientVersions": [version],
    }
