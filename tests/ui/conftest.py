"""The browser fixtures (`browser`, `page`), defined in `ui_helpers`."""

from ui_helpers import browser, page

__all__ = ["browser", "page"]
