"""The Amove cloud-to-cloud transfer emulator (under construction; see the Amove issue)."""
