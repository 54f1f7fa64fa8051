"""The Onedata Oneprovider transfers emulator (under construction; see the Onedata issue)."""
