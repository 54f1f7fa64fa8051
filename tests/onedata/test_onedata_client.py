"""onedatafilerestclient, unmodified, against the emulator over HTTPS on a real socket.

The client asks Onezone (`https://{onezone host}/api/v3/onezone/...`) for the token's scope, picks
an online provider of at least 21.02.1 from it, and sends `https://{provider domain}/api/v3/...`
through `requests.Session.send`, which trusts only certifi's CAs: `verify_ssl=False` is its one way
to accept another certificate. So the scenario names the answering provider's domain as the server's
own `host:port`, and the client is given that address as its Onezone host too.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from onedata_helpers import ADMIN, API, KRAKOW, LISBON, SCENARIO, SPACE, MiB
from onedatafilerestclient import OnedataFileRESTClient, OnedataRESTError

from emulators.onedata.file_id import file_objectid
from emulators.testing.plugin import LiveEmulator

pytestmark = [
    pytest.mark.real_client,
    pytest.mark.live,
    pytest.mark.emulator(tls=True),
    # verify_ssl=False is the client's only option for a CA of its own; urllib3 warns on each request.
    pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning"),
]


def address(live: LiveEmulator) -> str:
    return urlsplit(live.url).netloc


@pytest.fixture
def client(emulator_server: LiveEmulator) -> Iterator[OnedataFileRESTClient]:
    """The client, with the answering provider's domain (and Onezone) at the live server."""
    emulator_server.control.load_scenario(
        SCENARIO.replace("domain: krakow.example.org", f"domain: {address(emulator_server)}")
    )
    client = OnedataFileRESTClient(address(emulator_server), ADMIN, verify_ssl=False)
    yield client
    client._op_client.get_session().close()  # the client has no close() of its own
    client._oz_client._http_client.get_session().close()


def test_the_client_reads_the_token_scope_from_onezone(client: OnedataFileRESTClient) -> None:
    scope = client.get_token_scope()

    assert client.list_spaces() == ["My Space 1"]
    assert client.get_space_id("My Space 1") == SPACE
    assert scope["dataAccessScope"]["spaces"][SPACE]["supports"][KRAKOW] == {"readonly": False}
    assert scope["dataAccessScope"]["providers"][LISBON]["domain"] == "lisbon.example.org"


def test_the_client_resolves_a_path_lists_a_directory_and_reads_attributes(
    client: OnedataFileRESTClient, emulator_server: LiveEmulator
) -> None:
    file_id = client.get_file_id("My Space 1", file_path="data/a.bin")
    listing = client.list_children("My Space 1", file_path="data")
    attributes = client.get_attributes("My Space 1", file_id=file_id)
    chosen = client.get_attributes("My Space 1", file_path="data/b.bin", attributes=["size", "name"])

    assert listing == {
        "children": [
            {"name": "a.bin", "type": "REG"},
            {"name": "b.bin", "type": "REG"},
            {"name": "c.bin", "type": "REG"},
        ],
        "isLast": True,
        "nextPageToken": None,
    }
    assert (attributes["fileId"], attributes["name"], attributes["size"]) == (file_id, "a.bin", MiB)
    assert attributes["type"] == "REG" and attributes["parentFileId"] is not None
    assert chosen == {"size": 2 * MiB, "name": "b.bin"}
    answered = emulator_server.control.requests(service="onedata")
    assert answered and all(entry["status"] == 200 for entry in answered)


def test_the_client_lists_the_space_root_by_the_space_id(client: OnedataFileRESTClient) -> None:
    root = client.get_attributes("My Space 1", attributes=["name", "type", "fileId"])
    names = [child["name"] for child in client.list_children("My Space 1")["children"]]

    assert root == {"name": "My Space 1", "type": "DIR", "fileId": file_objectid(f"space_{SPACE}", SPACE)}
    assert names == ["Dir2", "data", "empty", "many"]


def test_the_client_pages_through_a_large_directory_with_its_tokens(client: OnedataFileRESTClient) -> None:
    names: list[str] = []
    token = None
    while True:
        page = client.list_children("My Space 1", file_path="many", limit=4, continuation_token=token)
        names += [child["name"] for child in page["children"]]
        if page["isLast"]:
            break
        token = page["nextPageToken"]

    assert len(names) == len(set(names)) == 15
    assert names == sorted(names)


def test_a_missing_path_reaches_the_client_as_its_posix_error(client: OnedataFileRESTClient) -> None:
    with pytest.raises(OnedataRESTError) as raised:
        client.get_file_id("My Space 1", file_path="data/missing.bin")

    assert (raised.value.http_code, raised.value.category) == (400, "posix")
    assert raised.value.details == {"errno": "enoent"}


def test_a_file_id_the_client_resolved_is_accepted_by_create_transfer(
    client: OnedataFileRESTClient, emulator_server: LiveEmulator
) -> None:
    file_id = client.get_file_id("My Space 1", file_path="data/a.bin")
    assert emulator_server.ca is not None

    with httpx.Client(
        base_url=emulator_server.url, verify=ssl.create_default_context(cafile=str(emulator_server.ca))
    ) as http:
        created = http.post(
            f"{API}/transfers",
            headers={"X-Auth-Token": ADMIN},
            json={
                "type": "replication",
                "replicatingProviderId": KRAKOW,
                "dataSourceType": "file",
                "fileId": file_id,
            },
        )
        status = http.get(f"{API}/transfers/{created.json()['transferId']}", headers={"X-Auth-Token": ADMIN})

    assert created.status_code == 201
    assert status.json()["fileId"] == file_id
    assert status.json()["filePath"] == "/My Space 1/data/a.bin"
