"""The restore drill's logic with in-memory fakes: a history of good, failed, incomplete and corrupted days
gives winners only for the days the daily run accepts, each refused day with its named error."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import pytest

from movers.cli.replay import ReplayError, deployed_watchlist, replay
from stock_movers.domain.bars import DailyBar
from stock_movers.domain.calendar import NEW_YORK
from stock_movers.usecases.pick import reduce_day
from stock_movers.usecases.store_sessions import StoreFailed

TICKERS = ["AAPL", "MSFT", "NVDA"]
D = dt.date
P = "raw/provider=massive"


def _ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=NEW_YORK).timestamp() * 1000)


def row(day: dt.date, open_: str, close: str, **extra: Any) -> dict[str, Any]:
    o, c = Decimal(open_), Decimal(close)
    return {"o": o, "h": max(o, c) + 1, "l": min(o, c) - 1, "c": c, "v": 1000, "t": _ms(day), **extra}


def body(*rows: Mapping[str, Any], ticker: str = "X") -> bytes:
    """A Massive aggregates body; Decimals are written as JSON numbers exactly as they read."""
    text = json.dumps(
        {"ticker": ticker, "status": "OK", "resultsCount": len(rows), "results": list(rows)},
        default=lambda d: f"__number__{d}",
    )
    return re.sub(r'"__number__([^"]*)"', r"\1", text).encode()


def daily(day: dt.date, ticker: str) -> str:
    return f"{P}/date={day.isoformat()}/{ticker}.json"


class FakeBodies:
    def __init__(self, objects: Mapping[str, bytes]) -> None:
        self.objects = dict(objects)
        self.reads: list[str] = []

    def keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix))

    def get(self, key: str) -> bytes:
        self.reads.append(key)
        return self.objects[key]


class FakeWinners:
    def __init__(self, stored: Sequence[dt.date] = ()) -> None:
        self.stored = set(stored)

    def exists(self, day: dt.date) -> bool:
        return day in self.stored


class FakeStoreDay:
    """store_day as a fake: records each payload; fails for `fail`."""

    def __init__(self, fail: dt.date | None = None) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.fail = fail

    def __call__(self, payload: dict[str, Any]) -> dict[str, Any]:
        if self.fail and payload["date"] == self.fail.isoformat():
            raise StoreFailed("StoreRejected", "parquet: the day's rows do not fit the schema")
        self.payloads.append(payload)
        return {"status": "Stored"}


GOOD, INCOMPLETE, HUGE, WRONG_DATE, NOT_JSON, BAD_SHAPE = (
    D(2025, 7, 7), D(2025, 7, 8), D(2025, 7, 9), D(2025, 7, 10), D(2025, 7, 11), D(2025, 7, 14)
)  # fmt: skip
RANGE_FROM, RANGE_TO = D(2025, 7, 15), D(2025, 7, 16)


def history() -> dict[str, bytes]:
    """Raw bodies as failed and successful runs leave them."""
    objects: dict[str, bytes] = {}
    prices = {"AAPL": ("100", "101"), "MSFT": ("100", "97"), "NVDA": ("100", "102")}
    for day in (GOOD, HUGE, WRONG_DATE, NOT_JSON, BAD_SHAPE):
        for t, (o, c) in prices.items():
            objects[daily(day, t)] = body(row(day, o, c), ticker=t)
    # a failed run: NVDA's fetch failed, so only two bodies (plus one for a ticker off the watchlist)
    objects[daily(INCOMPLETE, "AAPL")] = body(row(INCOMPLETE, "100", "101"))
    objects[daily(INCOMPLETE, "MSFT")] = body(row(INCOMPLETE, "100", "130"))
    objects[daily(INCOMPLETE, "TSLA")] = b"<html>not json</html>"
    # close = high = 1e15 (a corrupting provider)
    objects[daily(HUGE, "MSFT")] = body(row(HUGE, "100", "1e15"))
    # MSFT's body holds the next session's bar
    objects[daily(WRONG_DATE, "MSFT")] = body(row(NOT_JSON, "100", "99"))
    objects[daily(NOT_JSON, "NVDA")] = b'{"results": [{"o": 1,'
    objects[daily(BAD_SHAPE, "AAPL")] = b'{"status": "OK", "results": "nope"}'
    # a backfill range covering two sessions
    for t, (o, c) in prices.items():
        objects[f"{P}/range={RANGE_FROM}_{RANGE_TO}/{t}.json"] = body(
            row(RANGE_FROM, o, c), row(RANGE_TO, c, o), ticker=t
        )
    return objects


def test_given_a_history_with_failed_incomplete_and_corrupted_days_then_only_accepted_days_are_rebuilt():
    # Given the raw bodies of good, failed, incomplete and corrupted days, nothing stored
    store = FakeStoreDay()
    report = replay(
        FakeBodies(history()), FakeWinners(), store, start=GOOD, end=RANGE_TO, tickers=TICKERS,
        now=dt.datetime(2025, 8, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    # Then the good day and the two range days are rebuilt, every other day refused with its named error
    assert report.rebuilt == [GOOD.isoformat(), RANGE_FROM.isoformat(), RANGE_TO.isoformat()]
    refused = {day: (o.error, o.cause) for day, o in report.refused.items()}
    assert refused[INCOMPLETE.isoformat()] == ("MissingTickers", "missing bars for: NVDA")
    assert refused[HUGE.isoformat()][0] == "InvalidBar"
    assert refused[HUGE.isoformat()][1].startswith("MSFT: high 1000000000000001")
    assert refused[WRONG_DATE.isoformat()][0] == "SessionMismatch"
    assert "MSFT" in refused[WRONG_DATE.isoformat()][1]
    assert refused[NOT_JSON.isoformat()][0] == "MalformedResponse"
    assert "NVDA.json" in refused[NOT_JSON.isoformat()][1]
    assert refused[BAD_SHAPE.isoformat()][0] == "MalformedResponse"
    assert len(report.days) == 8 and not report.failed and not report.skipped
    # And Store Day received exactly what the daily run's reduce_day gives for the good day, nothing else
    assert [p["date"] for p in store.payloads] == report.rebuilt
    good = store.payloads[0]
    prices = {"AAPL": ("100", "101"), "MSFT": ("100", "97"), "NVDA": ("100", "102")}
    bars = []
    for t, (o, c) in prices.items():
        hi, lo = max(Decimal(o), Decimal(c)) + 1, min(Decimal(o), Decimal(c)) - 1
        bars.append(DailyBar(t, GOOD, Decimal(o), hi, lo, Decimal(c), Decimal(1000)))
    # (in Massive's basis, "adjusted"; a stored body's fetch time is not known, so none is recorded)
    expected = reduce_day(GOOD, TICKERS, bars, "massive", {t: {"basis": "adjusted"} for t in TICKERS})
    assert expected["winner"]["basis"] == "adjusted" and "fetchedAt" not in expected["winner"]
    stamp = "2025-08-01T00:00:00+00:00"
    assert good == {
        "date": GOOD.isoformat(), "force": False, "winner": expected["winner"], "rows": expected["rows"],
        "executionArn": f"replay:{stamp}", "executionName": f"replay-{stamp}",
    }  # fmt: skip
    assert good["winner"]["ticker"] == "MSFT"


def test_the_tickers_of_a_day_are_the_watchlist_not_whatever_bodies_exist():
    # Given a day with bodies for two of three watchlist tickers (the measured 3-of-6 winner)
    objects = {daily(GOOD, t): body(row(GOOD, "100", "105")) for t in ("AAPL", "MSFT")}
    store = FakeStoreDay()
    report = replay(FakeBodies(objects), FakeWinners(), store, start=GOOD, end=GOOD, tickers=TICKERS)
    # Then no winner is written: the day is refused as the daily run refuses it
    assert report.refused[GOOD.isoformat()].error == "MissingTickers" and store.payloads == []


def test_a_stored_day_is_skipped_unless_forced_and_a_store_failure_is_reported_by_name():
    objects = history()
    skipped = replay(FakeBodies(objects), FakeWinners([GOOD]), FakeStoreDay(), start=GOOD, end=GOOD,
                     tickers=TICKERS)  # fmt: skip
    assert skipped.skipped == [GOOD.isoformat()]
    forced_store = FakeStoreDay()
    forced = replay(FakeBodies(objects), FakeWinners([GOOD]), forced_store, start=GOOD, end=GOOD,
                    tickers=TICKERS, force=True)  # fmt: skip
    assert forced.rebuilt == [GOOD.isoformat()] and forced_store.payloads[0]["force"] is True
    failed = replay(FakeBodies(objects), FakeWinners(), FakeStoreDay(fail=GOOD), start=GOOD, end=GOOD,
                    tickers=TICKERS)  # fmt: skip
    assert failed.failed[GOOD.isoformat()].error == "StoreRejected"


def test_a_daily_body_wins_over_a_range_and_differing_ranges_refuse_the_day():
    day = D(2025, 7, 15)
    objects = {f"{P}/range=2025-07-01_2025-07-31/{t}.json": body(row(day, "100", "101")) for t in TICKERS}
    objects[daily(day, "NVDA")] = body(row(day, "100", "150"))  # the daily fetch's own body
    store = FakeStoreDay()
    report = replay(FakeBodies(objects), FakeWinners(), store, start=day, end=day, tickers=TICKERS)
    assert report.rebuilt == [day.isoformat()] and store.payloads[0]["winner"]["ticker"] == "NVDA"
    # Given a second backfill range whose AAPL bar differs, Then the day is refused (which one is right?)
    objects[f"{P}/range=2025-07-15_2025-07-15/AAPL.json"] = body(row(day, "100", "190"))
    again = replay(FakeBodies(objects), FakeWinners(), FakeStoreDay(), start=day, end=day, tickers=TICKERS)
    assert again.refused[day.isoformat()].error == "DuplicateTicker"
    # Given an identical second range instead, Then it counts once
    objects[f"{P}/range=2025-07-15_2025-07-15/AAPL.json"] = body(row(day, "100", "101"))
    once = replay(FakeBodies(objects), FakeWinners(), FakeStoreDay(), start=day, end=day, tickers=TICKERS)
    assert once.rebuilt == [day.isoformat()]


@pytest.mark.parametrize(
    ("aapl_range", "error"),
    [
        (b"not json", "MalformedResponse"),
        (body(row(D(2025, 6, 30), "100", "101")), "MalformedResponse"),  # a bar outside its range
        (body(row(D(2025, 7, 15), "100", "101"), row(D(2025, 7, 15), "100", "101")), "MalformedResponse"),
        (body(), "MissingTickers"),  # the range holds no bar that day
    ],
)
def test_a_corrupt_or_short_range_body_refuses_the_days_that_need_it(aapl_range, error):
    day = D(2025, 7, 15)
    objects = {f"{P}/range=2025-07-01_2025-07-31/{t}.json": body(row(day, "100", "101")) for t in TICKERS}
    objects[f"{P}/range=2025-07-01_2025-07-31/AAPL.json"] = aapl_range
    report = replay(FakeBodies(objects), FakeWinners(), FakeStoreDay(), start=day, end=day, tickers=TICKERS)
    assert report.refused[day.isoformat()].error == error


def test_a_session_snapshot_serves_the_tickers_without_their_own_body():
    day = D(2025, 7, 15)
    rows = [{**row(day, "100", "103"), "T": "AAPL"}, {**row(day, "50", "50"), "T": "MSFT"},
            {**row(day, "10", "1"), "T": "ZZZZ"}]  # fmt: skip
    objects = {f"{P}/date={day}/_session.json": body(*rows), daily(day, "NVDA"): body(row(day, "100", "98"))}
    objects[f"{P}/date={day}/_snapshot-daily-x.json"] = b"{}"  # the run's work object, not a provider body
    store = FakeStoreDay()
    report = replay(FakeBodies(objects), FakeWinners(), store, start=day, end=day, tickers=TICKERS)
    assert report.rebuilt == [day.isoformat()] and store.payloads[0]["winner"]["ticker"] == "AAPL"
    # And a snapshot row dated another day refuses the day
    rows[0] = {**row(D(2025, 7, 14), "100", "103"), "T": "AAPL"}
    objects[f"{P}/date={day}/_session.json"] = body(*rows)
    again = replay(FakeBodies(objects), FakeWinners(), FakeStoreDay(), start=day, end=day, tickers=TICKERS)
    assert again.refused[day.isoformat()].error == "SessionMismatch"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": D(2025, 7, 2), "end": D(2025, 7, 1)}, "before"),
        ({"tickers": []}, "non-empty"),
        ({"tickers": ["AAPL", "AAPL"]}, "distinct"),
        ({"provider": "yahoo"}, "unknown provider 'yahoo'"),
    ],
)
def test_a_replay_that_cannot_run_says_why(kwargs, message):
    args: dict[str, Any] = {"start": D(2025, 7, 1), "end": D(2025, 7, 2), "tickers": TICKERS, **kwargs}
    with pytest.raises(ReplayError, match=message):
        replay(FakeBodies({}), FakeWinners(), FakeStoreDay(), **args)


class FakeLambda:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def get_function_configuration(self, FunctionName: str) -> dict[str, Any]:
        return {"FunctionName": FunctionName, "Environment": {"Variables": self.env}}


class FakeS3:
    def __init__(self, objects: dict[tuple[str, str, str], bytes]) -> None:
        self.objects = objects

    def get_object(self, Bucket: str, Key: str, VersionId: str = "") -> dict[str, Any]:
        return {"Body": io.BytesIO(self.objects[(Bucket, Key, VersionId)])}


def test_the_deployed_watchlist_is_the_object_the_validate_input_function_reads():
    # Given validate_input configured with the watchlist object's key and version
    env = {"BUCKET_NAME": "b", "WATCHLIST_KEY": "config/watchlist.json", "WATCHLIST_VERSION": "v2"}
    s3 = FakeS3({("b", "config/watchlist.json", "v2"): b'{"tickers": ["AAPL", "MSFT", "NVDA"]}'})
    # Then the replay takes that version's tickers
    assert deployed_watchlist(FakeLambda(env), s3, "fn") == ["AAPL", "MSFT", "NVDA"]
    # And a function naming no object, or a malformed object, is a ReplayError
    with pytest.raises(ReplayError, match="names no watchlist object"):
        deployed_watchlist(FakeLambda({}), s3, "fn")
    bad = FakeS3({("b", "config/watchlist.json", "v2"): b'{"tickers": ["aapl"]}'})
    with pytest.raises(ReplayError, match=r"the deployed watchlist: .*tickers\[0\]"):
        deployed_watchlist(FakeLambda(env), bad, "fn")


def test_the_cli_prints_one_line_per_day_and_fails_only_when_a_day_failed_to_store(capsys):
    from movers.cli.ops import print_report

    # Given a replay with a rebuilt, a skipped and a refused day
    objects = history()
    report = replay(FakeBodies(objects), FakeWinners([HUGE]), FakeStoreDay(), start=GOOD, end=WRONG_DATE,
                    tickers=TICKERS)  # fmt: skip
    # Then one line each, a tally, and exit status 0: refused days are findings, not failures
    assert print_report(report) == 0
    assert capsys.readouterr().out.splitlines() == [
        "2025-07-07  rebuilt (winner MSFT)",
        "2025-07-08  refused MissingTickers: missing bars for: NVDA",
        "2025-07-09  skipped: winner already stored (--force rebuilds)",
        "2025-07-10  refused SessionMismatch: MSFT: bar is for session 2025-07-11, expected 2025-07-10",
        "replayed 1 session(s): 1 skipped, 2 refused, 0 failed",
    ]
    # Given Store Day failing for a day, Then exit status 1
    failed = replay(FakeBodies(objects), FakeWinners(), FakeStoreDay(fail=GOOD), start=GOOD, end=GOOD,
                    tickers=TICKERS)  # fmt: skip
    assert print_report(failed) == 1
    assert "2025-07-07  failed StoreRejected: parquet: the day's rows" in capsys.readouterr().out


def av_series(ticker: str, *bars: tuple[dt.date, str, str]) -> bytes:
    """An Alpha Vantage TIME_SERIES_DAILY body (strings, newest first)."""
    series = {
        d.isoformat(): {"1. open": o, "2. high": str(max(Decimal(o), Decimal(c)) + 1),
                        "3. low": str(min(Decimal(o), Decimal(c)) - 1), "4. close": c, "5. volume": "1000"}
        for d, o, c in sorted(bars, reverse=True)
    }  # fmt: skip
    return json.dumps({"Meta Data": {"2. Symbol": ticker}, "Time Series (Daily)": series}).encode()


def tiingo_rows(*bars: tuple[dt.date, str, str]) -> bytes:
    out = []
    for d, o, c in bars:
        hi, lo = max(Decimal(o), Decimal(c)) + 1, min(Decimal(o), Decimal(c)) - 1
        out.append(
            f'{{"date":"{d}T00:00:00.000Z","open":{o},"high":{hi},"low":{lo},"close":{c},"volume":1000}}'
        )
    return ("[" + ",".join(out) + "]").encode()


def test_alphavantage_bodies_hold_the_whole_series_and_the_replay_takes_each_days_bar():
    # Given Alpha Vantage's raw bodies: a daily run's per-ticker body for 2025-07-02 (the whole compact
    # series: 07-01 and 07-02) and a backfill range body for 07-01..07-01 (the same series)
    a, b = D(2025, 7, 1), D(2025, 7, 2)
    bodies = {}
    for t, (o1, c1), (o2, c2) in [
        ("AAPL", ("100", "101"), ("100", "110")), ("MSFT", ("50", "60"), ("50", "51")),
        ("NVDA", ("10", "10.5"), ("10", "10.2")),
    ]:  # fmt: skip
        series = av_series(t, (a, o1, c1), (b, o2, c2))
        bodies[f"raw/provider=alphavantage/date={b}/{t}.json"] = series
        bodies[f"raw/provider=alphavantage/range={a}_{a}/{t}.json"] = series
    # When both days are replayed from provider=alphavantage
    store = FakeStoreDay()
    report = replay(
        FakeBodies(bodies), FakeWinners(), store, start=a, end=b, tickers=TICKERS, provider="alphavantage"
    )
    # Then each day is rebuilt from its own bars (MSFT +20% on 07-01, AAPL +10% on 07-02), not refused for
    # the series' other day
    assert report.rebuilt == [a.isoformat(), b.isoformat()], report.days
    assert [p["winner"]["ticker"] for p in store.payloads] == ["MSFT", "AAPL"]


def test_tiingo_bodies_replay_and_a_bar_for_another_date_refuses_the_day():
    day = D(2025, 7, 2)
    bodies = {
        f"raw/provider=tiingo/date={day}/{t}.json": tiingo_rows((day, "100", c))
        for t, c in [("AAPL", "103"), ("MSFT", "99"), ("NVDA", "100.5")]
    }
    store = FakeStoreDay()
    report = replay(
        FakeBodies(bodies), FakeWinners(), store, start=day, end=day, tickers=TICKERS, provider="tiingo"
    )
    assert report.rebuilt == [day.isoformat()] and store.payloads[0]["winner"]["ticker"] == "AAPL"
    bodies[f"raw/provider=tiingo/date={day}/NVDA.json"] = tiingo_rows((D(2025, 7, 1), "100", "100.5"))
    again = replay(
        FakeBodies(bodies),
        FakeWinners(),
        FakeStoreDay(),
        start=day,
        end=day,
        tickers=TICKERS,
        provider="tiingo",
    )
    assert again.refused[day.isoformat()].error == "SessionMismatch"
