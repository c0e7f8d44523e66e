"""NYSE trading calendar from the maintained `holidays` library (no hand-written holiday table).

Sessions are weekdays that are not NYSE full-day closures (regular holidays and ad-hoc closures such as
national days of mourning). "Completed" means the regular close (16:00 America/New_York) has passed;
early-close days (13:00) are treated the same, which only delays them by three hours.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
MARKET_CLOSE = dt.time(16, 0)


@lru_cache(maxsize=64)
def _closures(year: int) -> frozenset[dt.date]:
    # Imported on the first closure asked for, not with the module: `holidays` loads its data and package
    # metadata (~20-35 ms), and the read API imports this module for NEW_YORK alone (its cold start).
    import holidays

    return frozenset(holidays.financial_holidays("NYSE", years=year).keys())


def is_session(day: dt.date) -> bool:
    """True when NYSE holds a regular trading session on `day`."""
    return day.weekday() < 5 and day not in _closures(day.year)


def sessions_in_range(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every session in [start, end], ascending; empty when start > end."""
    out: list[dt.date] = []
    day = start
    while day <= end:
        if is_session(day):
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def previous_session(day: dt.date) -> dt.date:
    """The last session strictly before `day`."""
    day -= dt.timedelta(days=1)
    while not is_session(day):
        day -= dt.timedelta(days=1)
    return day


def latest_completed_session(now: dt.datetime) -> dt.date:
    """The most recent session whose close has passed at `now` (an aware datetime), in America/New_York."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(NEW_YORK)
    today = local.date()
    if is_session(today) and local.time() >= MARKET_CLOSE:
        return today
    return previous_session(today)


def last_n_sessions(end: dt.date, n: int) -> list[dt.date]:
    """The n sessions ending at `end` (inclusive when `end` is a session), ascending."""
    out: list[dt.date] = []
    day = end if is_session(end) else previous_session(end)
    while len(out) < n:
        out.append(day)
        day = previous_session(day)
    return sorted(out)
