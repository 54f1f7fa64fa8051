"""Seeded chance and identifiers: the only place that may use `random` or make uuids.

Every id and every probability a service needs comes from one `Ids` object per World, so two runs
of the same scenario with the same requests produce the same ids.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import uuid


class Ids:
    """A seeded source of random numbers, uuids and tokens."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.random = random.Random(seed)

    def uuid(self) -> str:
        """A random (version 4) uuid drawn from the seeded generator."""
        return str(uuid.UUID(int=self.random.getrandbits(128), version=4))

    def token(self, nbytes: int = 24) -> str:
        """An opaque url-safe token."""
        return self.random.getrandbits(nbytes * 8).to_bytes(nbytes, "big").hex()


def stable_fraction(seed: int, *parts: object) -> float:
    """A number in [0, 1) fixed by the seed and the parts, independent of call order.

    Used for per-item chance (a file fails with probability p) so that the outcome of one file does
    not depend on how many others were asked about first.
    """
    text = "\x1f".join([str(seed), *map(str, parts)]).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big") / 2**64


def seeded_stream(seed: int, *parts: object) -> random.Random:
    """An independent random stream fixed by the seed and the parts (e.g. one block of file sizes)."""
    text = "\x1f".join([str(seed), *map(str, parts)]).encode()
    return random.Random(int.from_bytes(hashlib.blake2b(text, digest_size=16).digest(), "big"))


def fresh_secret() -> bytes:
    """32 bytes from the operating system's generator: for signing keys, which must not be derivable
    from the seed (the seed is printed and shown by the control API)."""
    return secrets.token_bytes(32)
