"""Price basis and splits (domain.splits and its users), with fakes: a split event is parsed or refused by
name; a stored bar's basis and fetch time say which splits it lacks; the percent change (same-day open to
close) does not depend on the basis, which is why stored winners are never rewritten (history is marked);
every reduced day records its basis and fetch time and refuses mixed bases; the market server serves the
SYNTHETIC split in the basis asked for, as of its clock; the reconcile does not take a split for a revision.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from movers.market.app import MarketApp, Request
from movers.market.dataset import SPLITS, Bar, Dataset, SplitEvent, as_served, bundled
from stock_movers.domain.bars import DailyBar
from stock_movers.domain.calendar import NEW_YORK
from stock_movers.domain.movers import percent_change
from stock_movers.domain.splits import (
    ADJUSTED,
    UNADJUSTED,
    InvalidSplit,
    MixedBasis,
    Split,
    adjusted_through,
    factor,
    parse_split,
    present,
)
from stock_movers.usecases.pick import reduce_day
from stock_movers.usecases.reconcile import plan

E = dt.date(2025, 11, 17)  # the SYNTHETIC NFLX 10-for-1 split
BEFORE, AFTER = dt.date(2025, 11, 14), dt.date(2025, 11, 18)
NFLX = parse_split("NFLX", E.isoformat(), 1, 10)


# --- domain.splits ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("nflx", "2025-11-17", 1, 10), "ticker is not a symbol"),
        (("NFLX", "17/11/2025", 1, 10), "not YYYY-MM-DD"),
        (("NFLX", None, 1, 10), "execution date is missing"),
        (("NFLX", "2025-11-17", 0, 10), "split_from must be > 0"),
        (("NFLX", "2025-11-17", 1, "NaN"), "split_to must be > 0"),
        (("NFLX", "2025-11-17", 1, 10**9), "split_to must be > 0"),
        (("NFLX", "2025-11-17", True, 10), "split_from is not a number"),
        (("NFLX", "2025-11-17", 4, 4), "not a split"),
    ],
)
def test_a_split_that_cannot_be_used_is_refused_by_name(args: tuple[Any, ...], reason: str) -> None:
    with pytest.raises(InvalidSplit, match=reason):
        parse_split(*args)


def test_a_split_ratio_is_from_over_to() -> None:
    assert NFLX.ratio == Fraction(1, 10)
    assert parse_split("X", "2024-01-02", "10", "1").ratio == 10  # a 1-for-10 reverse split


def test_which_splits_a_stored_bar_already_carries() -> None:
    # Given an adjusted bar fetched the evening of its day (21:30 UTC = 16:30 New York) and one fetched later
    assert adjusted_through(ADJUSTED, BEFORE, "2025-11-14T21:30:00+00:00") == BEFORE
    assert adjusted_through(ADJUSTED, BEFORE, "2025-11-19T02:00:00+00:00") == AFTER  # 21:00 NY on the 18th
    # an as-traded bar carries no later split; an unknown basis or fetch time says nothing
    assert adjusted_through(UNADJUSTED, BEFORE, None) == BEFORE
    assert adjusted_through(None, BEFORE, "2025-11-14T21:30:00+00:00") is None
    assert adjusted_through(ADJUSTED, BEFORE, None) is None
    assert adjusted_through(ADJUSTED, BEFORE, "2025-11-14T21:30:00") is None  # no zone: not an instant


def test_the_factor_counts_executed_splits_the_bar_lacks_only() -> None:
    splits = [NFLX]
    assert factor(splits, BEFORE, BEFORE, AFTER) == Fraction(1, 10)  # fetched before, split executed since
    assert factor(splits, BEFORE, AFTER, AFTER) == 1  # fetched after: already adjusted
    assert factor(splits, AFTER, AFTER, AFTER) == 1  # a bar after the split
    assert factor(splits, BEFORE, BEFORE, BEFORE) == 1  # announced, not executed yet


def test_present_is_exact_when_it_terminates_and_rounds_to_eight_places_otherwise() -> None:
    assert present(Decimal("152.256"), Fraction(1, 10)) == Decimal("15.2256")
    assert present(Decimal("100"), Fraction(2, 3)) == Decimal("66.66666667")
    assert present(Decimal("5996630"), Fraction(10), places=0) == Decimal("59966300")


@given(
    open_=st.integers(1, 10**8),
    close=st.integers(1, 10**8),
    split_to=st.sampled_from([2, 3, 4, 5, 10, 20]),
)
def test_the_percent_change_of_a_day_is_the_same_in_every_basis(
    open_: int, close: int, split_to: int
) -> None:
    # Given a bar as traded (4 places, as vendors print) and a whole-number split since
    o, c = Decimal(open_).scaleb(-4), Decimal(close).scaleb(-4)
    # When the bar is adjusted exactly (post-split basis) or un-adjusted (x split_to: always exact)
    exact = (Fraction(c) / split_to - Fraction(o) / split_to) * 100 / (Fraction(o) / split_to)
    # Then the contract's 6-place percent change is the same in each basis
    assert round(exact * 10**6) == int(percent_change(o, c).scaleb(6))
    assert percent_change(o * split_to, c * split_to) == percent_change(o, c)
    if split_to != 3:  # 2, 4, 5, 10, 20 divide a 4-place price exactly in Decimal too
        assert percent_change(o / split_to, c / split_to) == percent_change(o, c)


def test_rounding_adjusted_prices_can_move_the_rounded_percent_so_stored_winners_are_never_rewritten() -> (
    None
):
    # Given an as-traded day of 3.0001 -> 3.0002 and a 3-for-1 split: the vendor rounds adjusted prices
    o, c = Decimal("3.0001"), Decimal("3.0002")
    rounded = [(v / 3).quantize(Decimal("0.0001")) for v in (o, c)]
    # Then the rounded adjusted day's percent change is not the stored one: rewriting would change a winner
    assert percent_change(*rounded) != percent_change(o, c)


# --- every reduced day records its basis and fetch time -----------------------------------------------------


def _bar(ticker: str, day: dt.date, o: str, c: str) -> DailyBar:
    lo, hi = min(Decimal(o), Decimal(c)), max(Decimal(o), Decimal(c))
    return DailyBar(ticker, day, Decimal(o), hi, lo, Decimal(c), Decimal(100))


def test_a_reduced_day_records_each_rows_basis_and_fetch_time_and_the_winners() -> None:
    bars = [_bar("AAA", BEFORE, "10", "11"), _bar("BBB", BEFORE, "10", "10.5")]
    fetched = {
        "AAA": {"basis": ADJUSTED, "fetchedAt": "2025-11-14T21:30:01+00:00"},
        "BBB": {"basis": ADJUSTED, "fetchedAt": "2025-11-14T21:30:02+00:00"},
    }
    day = reduce_day(BEFORE, ["AAA", "BBB"], bars, "massive", fetched)
    assert [(r["ticker"], r["basis"], r["fetchedAt"]) for r in day["rows"]] == [
        ("AAA", ADJUSTED, "2025-11-14T21:30:01+00:00"),
        ("BBB", ADJUSTED, "2025-11-14T21:30:02+00:00"),
    ]
    assert (day["winner"]["basis"], day["winner"]["fetchedAt"]) == (ADJUSTED, "2025-11-14T21:30:01+00:00")
    # and without fetch facts (an older work object) the day stays readable, of unknown basis
    older = reduce_day(BEFORE, ["AAA", "BBB"], bars, "massive")
    assert "basis" not in older["winner"] and all("basis" not in r for r in older["rows"])


def test_a_day_whose_bars_came_in_different_bases_is_refused_by_name() -> None:
    bars = [_bar("AAA", BEFORE, "10", "11"), _bar("BBB", BEFORE, "10", "10.5")]
    fetched = {"AAA": {"basis": ADJUSTED}, "BBB": {"basis": UNADJUSTED}}
    with pytest.raises(MixedBasis, match="adjusted, unadjusted"):
        reduce_day(BEFORE, ["AAA", "BBB"], bars, "massive,tiingo", fetched)


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"basis": "split-ish"}, "basis"),
        ({"fetchedAt": "yesterday"}, "fetchedAt"),
        ({"fetchedAt": 5}, "fetchedAt"),
    ],
)
def test_a_malformed_basis_or_fetch_time_is_a_data_error(entry: dict[str, Any], field: str) -> None:
    with pytest.raises(Exception, match=field) as caught:
        reduce_day(BEFORE, ["AAA"], [_bar("AAA", BEFORE, "10", "11")], "massive", {"AAA": entry})
    assert type(caught.value).__name__ == "InvalidBar"


# --- the market server's split ------------------------------------------------------------------------------


def test_the_bundled_split_is_a_date_no_other_dataset_bar_changes_for_by_default() -> None:
    # Given the server's default clock (after every split): adjusted bars are the bundled file's bars
    data = bundled()
    app = MarketApp(data, rate_limit=None)
    assert app.splits == SPLITS
    nflx = data.bar("NFLX", BEFORE)
    assert nflx is not None
    assert as_served(nflx, SPLITS, adjusted=True, today=data.last_session) == nflx
    # and as traded the older price is 10 x, the volume a tenth
    raw = as_served(nflx, SPLITS, adjusted=False, today=data.last_session)
    assert (raw.open, raw.close) == (nflx.open * 10, nflx.close * 10)
    assert raw.volume == round(nflx.volume / 10)


def _get(app: MarketApp, path: str, **query: str) -> Any:
    response = app.handle(
        Request("GET", path, {k: [v] for k, v in query.items()}, {"authorization": "Bearer local-key"})
    )
    assert response.status == 200, response.body
    return response.json()


def _closes(app: MarketApp) -> list[float]:
    body = _get(app, "/v2/aggs/ticker/NFLX/range/1/day/2025-11-13/2025-11-14")
    assert body["adjusted"] is True
    return [r["c"] for r in body["results"]]


def test_the_server_adjusts_as_of_its_clock_and_lists_executed_splits_only() -> None:
    data = bundled()
    app = MarketApp(data, rate_limit=None)
    after = _closes(app)
    app.set_now(dt.datetime.combine(BEFORE, dt.time(20), NEW_YORK))
    before = _closes(app)
    # Then before the split the "adjusted" answer is as traded (10 x), and the split is not listed yet
    assert before == [round(c * 10, 4) for c in after]
    assert _get(app, "/v3/reference/splits", ticker="NFLX")["results"] == []
    app.set_now(dt.datetime.combine(AFTER, dt.time(20), NEW_YORK))
    assert _closes(app) == after
    listed = _get(app, "/v3/reference/splits", **{"execution_date.gte": "2025-11-01", "limit": "1"})
    assert listed["results"] == [
        {
            "execution_date": "2025-11-17",
            "id": "ENFLX20251117",
            "split_from": 1,
            "split_to": 10,
            "ticker": "NFLX",
        }
    ]
    assert "next_url" not in listed


def test_the_splits_listing_pages_with_a_cursor_and_refuses_bad_parameters() -> None:
    day = dt.date(2024, 1, 2)
    bars = [Bar(t, day, Decimal(1), Decimal(1), Decimal(1), Decimal(1), 1) for t in ("AAA", "BBB")]
    events = [SplitEvent("AAA", day, 1, 2), SplitEvent("BBB", day, 3, 1)]
    app = MarketApp(
        Dataset(bars), rate_limit=None, splits=events, now=dt.datetime(2024, 2, 1, tzinfo=NEW_YORK)
    )
    first = _get(app, "/v3/reference/splits", limit="1")
    assert [r["ticker"] for r in first["results"]] == ["AAA"]
    cursor = first["next_url"].split("cursor=")[1]
    second = _get(app, "/v3/reference/splits", cursor=cursor)
    assert [(r["ticker"], r["split_from"], r["split_to"]) for r in second["results"]] == [("BBB", 3, 1)]
    bad = app.handle(
        Request("GET", "/v3/reference/splits", {"limit": ["0"]}, {"authorization": "Bearer local-key"})
    )
    assert bad.status == 400


# --- the reconcile: a split is not a revision ---------------------------------------------------------------


class SplitPorts:
    """Stored NFLX days fetched before the split (as traded then), the provider's bars adjusted now."""

    def __init__(self, extra_volume: int = 0) -> None:
        data = bundled()
        self.adjusted = {
            d: data.bar("NFLX", d) for d in (dt.date(2025, 11, 12), dt.date(2025, 11, 13), BEFORE)
        }
        self.extra_volume = extra_volume
        self.split_calls: list[tuple[dt.date, dt.date]] = []
        self.fetched = {"NFLX": {"basis": ADJUSTED, "fetchedAt": "2025-11-18T22:00:00+00:00"}}

    def stored_sessions(self, through: dt.date, k: int) -> list[dt.date]:
        return sorted(self.adjusted)[-k:]

    def stored_rows(self, ticker: str, first: dt.date, last: dt.date) -> dict[dt.date, dict[str, str]]:
        rows = {}
        for d, b in self.adjusted.items():
            raw = as_served(b, SPLITS, adjusted=False, today=AFTER)  # what the run fetched that evening
            rows[d] = {
                "open": str(raw.open), "high": str(raw.high), "low": str(raw.low), "close": str(raw.close),
                "volume": str(raw.volume), "basis": ADJUSTED, "fetchedAt": f"{d}T21:30:00+00:00",
            }  # fmt: skip
        return rows

    def stored_winner(self, day: dt.date) -> dict[str, str] | None:
        return {"ticker": "NFLX", "percentChange": "0"}

    def fetch(self, ticker: str, first: dt.date, last: dt.date) -> list[DailyBar]:
        return [
            DailyBar(ticker, d, b.open, b.high, b.low, b.close, Decimal(b.volume + self.extra_volume))
            for d, b in sorted(self.adjusted.items())
        ]

    def splits(self, start: dt.date, end: dt.date) -> tuple[list[Split], int]:
        self.split_calls.append((start, end))
        return [NFLX], 1


def test_a_split_since_the_stored_days_is_not_a_revision() -> None:
    ports = SplitPorts()
    planned = plan(
        ports, through=BEFORE, k=3, tickers=["NFLX"], provider="massive", board_size=1, today=AFTER
    )
    assert ports.split_calls == [(dt.date(2025, 10, 13), AFTER)]
    assert planned.revised == [] and planned.rejected == [] and planned.calls == 2  # the range and the splits
    assert planned.unchanged == ["2025-11-12", "2025-11-13", "2025-11-14"]


def test_a_real_revision_beside_a_split_is_still_found() -> None:
    # Given the provider also revised each day's volume by 1,000 shares (beyond a split's rounding)
    ports = SplitPorts(extra_volume=1000)
    planned = plan(
        ports, through=BEFORE, k=3, tickers=["NFLX"], provider="massive", board_size=1, today=AFTER
    )
    assert [r["date"] for r in planned.revised] == ["2025-11-12", "2025-11-13", "2025-11-14"]
    assert all(r["rows"][0]["basis"] == ADJUSTED for r in planned.revised)
