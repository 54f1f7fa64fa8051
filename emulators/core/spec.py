"""`Spec`, the base of every document the emulator validates with pydantic: the sections of a
scenario and the control API's bodies. A key a model does not declare is an error, so a misspelt key
is reported where it is rather than silently ignored.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Spec(BaseModel):
    """A validated document that refuses keys it does not declare."""

    model_config = ConfigDict(extra="forbid")
