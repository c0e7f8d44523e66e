"""Every handler module reads its settings at import: with Terraform's variables it loads and exposes
`settings` of the type stock_movers.settings.functions.FUNCTION_SETTINGS names; without them its import fails
with one SettingsError naming every required variable (never a KeyError, never an empty name accepted)."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pytest

from stock_movers.settings import SettingsError, required_variables
from stock_movers.settings.functions import FUNCTION_SETTINGS
from tests.unit.handlers.conftest import deployed_env

FUNCTIONS = sorted(FUNCTION_SETTINGS)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_the_handler_loads_its_own_settings(load_handler: Callable[..., ModuleType], function: str) -> None:
    # Given exactly the variables its settings read, When the handler module is imported
    app = load_handler(function)
    # Then it has a handler and its settings are the ones the function declares
    assert callable(app.handler)
    assert type(app.settings) is FUNCTION_SETTINGS[function]


@pytest.mark.parametrize("function", [f for f in FUNCTIONS if required_variables(FUNCTION_SETTINGS[f])])
def test_without_its_variables_the_import_fails_naming_each(
    load_handler: Callable[..., ModuleType], function: str
) -> None:
    # Given none of its variables, When imported, Then one SettingsError names every required one
    with pytest.raises(SettingsError) as raised:
        load_handler(function, env={})
    assert set(raised.value.problems) == required_variables(FUNCTION_SETTINGS[function])
    assert set(raised.value.problems.values()) == {"is required"}


@pytest.mark.parametrize("function", [f for f in FUNCTIONS if required_variables(FUNCTION_SETTINGS[f])])
def test_an_empty_name_is_refused_not_accepted(
    load_handler: Callable[..., ModuleType], function: str
) -> None:
    # Given its variables with one required name set to "" (how `os.environ.get(X, "")` hid a missing one)
    env = deployed_env(function)
    name = sorted(required_variables(FUNCTION_SETTINGS[function]))[0]
    env[name] = ""
    # When imported, Then that variable is named as empty
    with pytest.raises(SettingsError) as raised:
        load_handler(function, env=env)
    assert raised.value.problems == {name: "is empty"}
