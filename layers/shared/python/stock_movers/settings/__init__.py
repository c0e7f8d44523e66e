"""Typed settings of every function, read from environment variables and validated once, at import.

A function's settings are composed of small groups, by concern: the stack's resources (`resources`), the
market-data provider (`provider`), the pipeline's tunables (`pipeline`) and the read API's own (`api`).
`functions` composes them per function and lists which each function reads (`FUNCTION_SETTINGS`). `core`
holds the machinery: :func:`load` reads every variable of a function's groups and raises ONE
:class:`SettingsError` naming each missing or malformed one.

A function imports only its own settings' modules: the read API's cold start loads `core`, `resources` and
`api`, not the ~40 classes of every function nor the domain modules the pipeline's defaults come from.
"""

from stock_movers.settings.core import SettingsError, load, required_variables, variables

__all__ = ["SettingsError", "load", "required_variables", "variables"]
