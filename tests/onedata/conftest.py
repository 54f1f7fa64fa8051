"""The Oneprovider fixtures (`onedata`, `onedata_with`), defined in `onedata_helpers`."""

from onedata_helpers import onedata, onedata_with

__all__ = ["onedata", "onedata_with"]
