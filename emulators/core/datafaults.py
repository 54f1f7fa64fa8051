"""Data-level fault rules: which files of a transfer fail, and with what code.

A rule matches files by a glob over a location path the service defines (e.g. `account/container/blob`),
optionally with a seeded probability, and names an error code in the service's own vocabulary and the
stage at which the file fails. The core only matches; the service decides what codes and stages mean.

A transfer over a million files need not try every rule on every file: `within(prefix)` keeps only the
rules that can match under a location prefix, and `heads()` gives each one's literal head (its glob up
to the first wildcard), so a service can look at just the files under those heads.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from typing import Literal

from pydantic import ConfigDict, Field

from emulators.core.ids import stable_fraction
from emulators.core.spec import Spec

Stage = Literal["enumeration", "transfer", "validation"]


class DataFault(Spec):
    """Files matching `match` fail with `error` at `stage` (with `probability`, seeded per file)."""

    model_config = ConfigDict(frozen=True)

    match: str = Field(description="glob over the file's location path; '*' also crosses '/'")
    error: str = Field(min_length=1, description="the service's error code")
    stage: Stage = "transfer"
    probability: float = Field(default=1.0, ge=0, le=1)


_WILDCARD = re.compile(r"[*?\[]")


def _head(glob: str) -> str:
    """What every location a glob matches starts with: the glob up to its first wildcard."""
    wildcard = _WILDCARD.search(glob)
    return glob[: wildcard.start()] if wildcard else glob


class DataFaults:
    """A compiled list of rules; the first matching rule decides a file's outcome."""

    def __init__(self, rules: Sequence[DataFault], seed: int, numbers: Sequence[int] | None = None) -> None:
        self.rules = list(rules)
        self.seed = seed
        self._patterns = [re.compile(fnmatch.translate(r.match)) for r in self.rules]
        # Each rule's place in the scenario's list: its seeded draws depend on it, not on `within`.
        self._numbers = list(numbers) if numbers is not None else list(range(len(self.rules)))

    def __bool__(self) -> bool:
        return bool(self.rules)

    def within(self, prefix: str) -> DataFaults:
        """The rules that can match a location starting with `prefix`, each drawing as it does here."""
        kept = [
            (rule, number)
            for rule, number in zip(self.rules, self._numbers, strict=True)
            if _head(rule.match).startswith(prefix) or prefix.startswith(_head(rule.match))
        ]
        return DataFaults([rule for rule, _ in kept], self.seed, [number for _, number in kept])

    def heads(self) -> list[str]:
        """Each rule's literal head: a location it matches starts with it."""
        return [_head(rule.match) for rule in self.rules]

    def outcome(self, location: str, attempt: int = 0) -> DataFault | None:
        """The rule that makes this file fail, if any, on its `attempt`-th try (0: the first).

        A service that retries some errors asks again with the next attempt: each attempt draws its
        own chance, so a rule with probability p meets k attempts in a row with chance p**k.
        """
        for number, rule, pattern in zip(self._numbers, self.rules, self._patterns, strict=True):
            # Each rule draws its own chance, so two rules on the same files fail more of them.
            if pattern.match(location) and (
                rule.probability >= 1 or self._draw(number, location, attempt) < rule.probability
            ):
                return rule
        return None

    def _draw(self, number: int, location: str, attempt: int) -> float:
        if attempt == 0:  # the draw every first attempt has always made
            return stable_fraction(self.seed, number, location)
        return stable_fraction(self.seed, number, location, attempt)
