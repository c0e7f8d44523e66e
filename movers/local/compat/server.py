"""moto's HTTP server itself (request dispatch), not one service.

Part of :mod:`movers.local.compat` (see its docstring); each fix is tested in ``tests/local``.
"""

from __future__ import annotations

import functools


def fix_backend_list_is_read_once() -> None:
    """The list of moto's service packages is read from disk once, not on every request.

    moto's dispatcher finds a request's service by listing its own package directory (a `stat` per entry,
    about 150) for every request it serves: a twentieth of the local AWS's time in a backfill, under the
    load the pipeline's tests put on it. The installed package does not change while the server runs, so
    the list is read once and the same names are answered after."""
    from moto import backends

    original = backends.list_of_moto_modules

    @functools.cache
    def read_once() -> tuple[str, ...]:
        return tuple(original())

    def list_of_moto_modules() -> tuple[str, ...]:
        return read_once()

    backends.list_of_moto_modules = list_of_moto_modules
