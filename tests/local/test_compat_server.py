"""movers.local.compat.fix_backend_list_is_read_once: the same service names, read from disk once."""

from __future__ import annotations

import os

import moto
import pytest
from moto import backends

from movers.local.compat import fix_backend_list_is_read_once


def test_the_service_list_is_moto_packages_and_later_requests_do_not_read_the_disk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given moto's package directory as the dispatcher lists it
    root = os.path.dirname(moto.__file__)
    expected = sorted(
        n for n in os.listdir(root) if os.path.isdir(os.path.join(root, n)) and not n.startswith("__")
    )
    monkeypatch.setattr(backends, "list_of_moto_modules", backends.list_of_moto_modules)  # undone after
    fix_backend_list_is_read_once()
    # When it is asked once, Then the names are the packages
    assert list(backends.list_of_moto_modules()) == expected
    assert "dynamodb" in expected and "stepfunctions" in expected

    # And asked again, no directory is listed
    def no_disk(path: str) -> list[str]:
        raise AssertionError(f"listed {path}")

    monkeypatch.setattr(os, "listdir", no_disk)
    assert list(backends.list_of_moto_modules()) == expected
