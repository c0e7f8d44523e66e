"""The settings machinery: parsers, the `env` field, :func:`load` and its one :class:`SettingsError`.

Each group field names its variable (`env`), how it is parsed and, for a tunable only, a default; names and
ARNs have none. :func:`load` reads every variable of every group and raises ONE :class:`SettingsError`
naming each missing or malformed variable, so a deployment error shows in full on the first cold start.
This is the only module of the code we deploy that reads the environment (tests/unit/test_settings.py).
"""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar


class SettingsError(RuntimeError):
    """Environment variables are missing or malformed (a deployment error, not bad input). `problems` maps
    each variable to what is wrong with it; the message names every one."""

    def __init__(self, owner: str, problems: Mapping[str, str]) -> None:
        self.owner = owner
        self.problems = dict(problems)
        listed = "; ".join(f"{name} {why}" for name, why in sorted(self.problems.items()))
        super().__init__(f"{owner}: bad environment: {listed}")


class BadValue(ValueError):
    """A parser's refusal of one value (collected by :func:`load` into the one SettingsError)."""


# ------------------------------------------------------------------------------------------ parsers


def text(raw: str) -> str:
    """A non-empty string (a resource name, an ARN)."""
    return raw


def optional_text(raw: str) -> str | None:
    """A string where empty means "not configured" (None)."""
    return raw or None


def whole(low: int, high: int | None = None) -> Callable[[str], int]:
    """A whole number within low..high."""

    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise BadValue(f"must be a whole number, got {raw!r}") from None
        if value < low or (high is not None and value > high):
            span = f"{low}..{high}" if high is not None else f">= {low}"
            raise BadValue(f"must be {span}, got {raw!r}")
        return value

    return parse


def positive(raw: str) -> float:
    """A finite number > 0."""
    try:
        value = float(raw)
    except ValueError:
        raise BadValue(f"must be a number, got {raw!r}") from None
    if not value > 0 or value == float("inf"):
        raise BadValue(f"must be a positive number, got {raw!r}")
    return value


def positive_decimal(raw: str) -> Decimal:
    """A finite Decimal > 0."""
    try:
        value = Decimal(raw)
    except (ArithmeticError, InvalidOperation):
        raise BadValue(f"must be a number, got {raw!r}") from None
    if not value.is_finite() or value <= 0:
        raise BadValue(f"must be a positive number, got {raw!r}")
    return value


def optional_whole(low: int) -> Callable[[str], int | None]:
    """A whole number >= low, where empty means "not configured" (None)."""
    parse = whole(low)
    return lambda raw: parse(raw) if raw else None


def non_negative_decimal(raw: str) -> Decimal:
    """A finite Decimal >= 0."""
    try:
        value = Decimal(raw)
    except (ArithmeticError, InvalidOperation):
        raise BadValue(f"must be a number, got {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise BadValue(f"must be a number >= 0, got {raw!r}")
    return value


def one_of(*choices: str) -> Callable[[str], str]:
    """One of `choices`."""

    def parse(raw: str) -> str:
        if raw not in choices:
            raise BadValue(f"must be one of {', '.join(choices)}, got {raw!r}")
        return raw

    return parse


def true_false(raw: str) -> bool:
    """true/false (also 1/0)."""
    value = raw.strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise BadValue(f"must be true or false, got {raw!r}")
    return value in ("true", "1")


def traced(raw: str) -> bool:
    """POWERTOOLS_TRACE_DISABLED read the other way round: whether tracing is on."""
    return not true_false(raw)


@dataclass(frozen=True)
class Var:
    """One environment variable: its name, parser and (tunables only) default."""

    name: str
    parse: Callable[[str], Any]
    default: str | None = None
    empty_ok: bool = False


def env(
    name: str, parse: Callable[[str], Any] = text, *, default: str | None = None, empty_ok: bool = False
) -> Any:
    """A settings field read from the variable `name` (required unless it has a default)."""
    return field(metadata={"env": Var(name, parse, default, empty_ok)})


S = TypeVar("S")


def _parts(cls: type) -> list[tuple[dataclasses.Field[Any], Var | type]]:
    """Each field of a group (its Var) or of a function's settings (its group class)."""
    hints = typing.get_type_hints(cls)
    out: list[tuple[dataclasses.Field[Any], Var | type]] = []
    for f in dataclasses.fields(cls):
        var = f.metadata.get("env")
        out.append((f, var if isinstance(var, Var) else hints[f.name]))
    return out


def variables(cls: type) -> frozenset[str]:
    """Every environment variable the settings `cls` read."""
    names: set[str] = set()
    for _field, part in _parts(cls):
        names |= {part.name} if isinstance(part, Var) else variables(part)
    return frozenset(names)


def required_variables(cls: type) -> frozenset[str]:
    """The variables of `cls` without a default (names and ARNs): a deployment must set each."""
    names: set[str] = set()
    for _field, part in _parts(cls):
        if isinstance(part, Var):
            names |= {part.name} if part.default is None else set()
        else:
            names |= required_variables(part)
    return frozenset(names)


def _read(cls: type[S], environ: Mapping[str, str], problems: dict[str, str]) -> S | None:
    values: dict[str, Any] = {}
    for f, part in _parts(cls):
        if not isinstance(part, Var):
            values[f.name] = _read(part, environ, problems)
            continue
        raw = environ.get(part.name)
        if raw is None and part.default is not None:
            raw = part.default  # a tunable left unset takes its default; a name or an ARN has none
        if raw is None or (raw.strip() == "" and not part.empty_ok):
            problems[part.name] = "is required" if raw is None else "is empty"
            continue
        try:
            values[f.name] = part.parse(raw.strip())
        except BadValue as exc:
            problems[part.name] = str(exc)
    return None if problems else cls(**values)


def load(cls: type[S], environ: Mapping[str, str] | None = None) -> S:
    """The settings `cls` read from `environ` (default os.environ); SettingsError naming every bad one."""
    problems: dict[str, str] = {}
    out = _read(cls, os.environ if environ is None else environ, problems)
    if out is None:
        raise SettingsError(cls.__name__, problems)
    return out
