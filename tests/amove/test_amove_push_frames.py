"""A push is encoded once per hub protocol, whatever the number of subscribers."""

from __future__ import annotations

from emulators.amove.hub import _PushFrames
from emulators.amove.signalr.json_protocol import JsonHubProtocol
from emulators.amove.signalr.messages import HubMessage, Invocation


class CountingJson(JsonHubProtocol):
    def __init__(self) -> None:
        self.encoded = 0

    def encode(self, message: HubMessage) -> bytes:
        self.encoded += 1
        return super().encode(message)


def test_the_same_payload_is_encoded_once_for_every_connection() -> None:
    frames, protocol = _PushFrames(), CountingJson()
    payload = {"id": "t1", "transferStatus": 2}
    sent = [frames.frame(payload, "transferProgress", protocol) for _ in range(200)]
    assert protocol.encoded == 1
    assert len(set(sent)) == 1
    assert sent[0] == JsonHubProtocol().encode(Invocation("transferProgress", [payload]))


def test_another_payload_or_target_is_encoded_afresh() -> None:
    frames, protocol = _PushFrames(), CountingJson()
    frames.frame({"id": "t1"}, "transferProgress", protocol)
    frames.frame({"id": "t1"}, "transferProgress", protocol)  # equal but not the same object
    frames.frame({"id": "t1"}, "otherTarget", protocol)
    assert protocol.encoded == 3
