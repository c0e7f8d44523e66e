"""The error of a network connection attempted in a unit test (tests/unit/conftest.py turns sockets off)."""


class SocketsDisabled(RuntimeError):
    """A unit test tried to open a network connection."""
