"""Stateful emulators of data-transfer services."""

__version__ = "0.1.0"
