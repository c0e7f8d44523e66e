"""Execution input validation: every malformed input is an InvalidInput naming its field."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from stock_movers.domain.errors import InvalidInput
from stock_movers.domain.inputs import (
    BackfillRequest,
    IngestRequest,
    parse_backfill_input,
    parse_count,
    parse_date,
    parse_ingest_input,
    parse_ticker,
    resolve_session,
)

NY = ZoneInfo("America/New_York")
# Wednesday 2024-07-10, 18:00 ET: the day's session has closed.
NOW = dt.datetime(2024, 7, 10, 18, 0, tzinfo=NY)
DEFAULTS = ("AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA")


def ingest(raw, now=NOW, **kw):
    return parse_ingest_input(raw, now=now, default_tickers=lambda: DEFAULTS, **kw)


@pytest.mark.parametrize("symbol", ["A", "AAPL", "GOOGL", "BRK.B", "BF-B", "BRK.AB"])
def test_given_a_valid_symbol_then_parse_ticker_returns_it(symbol):
    assert parse_ticker(symbol) == symbol


@pytest.mark.parametrize(
    "symbol", ["aapl", "Aapl", "", "TOOLONG", "BRK.", "BRK.ABC", "AAPL\n", " AAPL", "A1", 7, None]
)
def test_given_a_bad_symbol_then_parse_ticker_raises_naming_the_field(symbol):
    with pytest.raises(InvalidInput) as info:
        parse_ticker(symbol, "tickers[0]")
    assert str(info.value).startswith("tickers[0]: ")


def test_given_a_real_date_then_parse_date_returns_it():
    assert parse_date("2024-02-29", "date") == dt.date(2024, 2, 29)


@pytest.mark.parametrize(
    "text",
    [
        "2024/01/02",
        "2024-1-2",
        "20240102",
        "2024-W01-1",
        "2024-01-02T00:00",
        "",
        20240102,
        "2024-01-02\n",  # re.match(...$) would take it
        " 2024-01-02",
        "2024-01-02 ",
        "+2024-01-02",
        "\u0662\u0660\u0662\u0664-01-02",  # Arabic-Indic digits match \d
        "\uff12\uff10\uff12\uff14-01-02",  # fullwidth digits
        "0000-01-01",
        "2024-02-30",
    ],
)
def test_given_a_badly_formatted_date_then_invalid_input(text):
    with pytest.raises(InvalidInput) as info:
        parse_date(text, "date")
    assert str(info.value).startswith("date: ")


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("30", 30), ("7", 7), (1, 1), (30, 30)])
def test_given_a_plain_count_then_parse_count_returns_it(value, expected):
    assert parse_count(value, "limit", low=1, high=30) == expected


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "31",
        "",
        "+5",
        "-1",
        " 5",
        "5 ",
        "5\n",
        "05",
        "5.0",
        "1e1",
        "1_0",
        "0x5",
        "\uff15",  # fullwidth 5: str.isdigit() and int() take it
        "\u0665",  # Arabic-Indic 5
        "\u00b2",  # superscript 2: isdigit() but not int()
        "9" * 10,  # more digits than any count needs
        "9" * 5000,  # past int()'s own digit limit: still a named error
        0,
        31,
        True,  # a bool is an int in Python, not a count
        5.0,
        None,
        ["5"],  # a repeated query parameter
    ],
)
def test_given_a_count_not_exactly_plain_digits_in_range_then_invalid_input_names_it(value):
    with pytest.raises(InvalidInput) as info:
        parse_count(value, "limit", low=1, high=30)
    assert info.value.field == "limit" and str(info.value).startswith("limit: ")


def test_given_the_example_bad_date_then_the_message_matches_the_contract():
    with pytest.raises(InvalidInput) as info:
        parse_date("2024/01/02", "date")
    assert str(info.value) == "date: must be YYYY-MM-DD, got '2024/01/02'"


def test_given_empty_input_then_defaults_apply():
    assert ingest({}) == IngestRequest(date=None, tickers=DEFAULTS, force=False)


def test_given_full_input_then_it_is_parsed():
    req = ingest({"date": "2024-07-10", "tickers": ["AAPL", "BRK.B"], "force": True})
    assert req == IngestRequest(date=dt.date(2024, 7, 10), tickers=("AAPL", "BRK.B"), force=True)


# At least fifteen malformed ingest inputs, each with the field its error must name.
MALFORMED_INGEST = [
    ([], "input"),
    ("{}", "input"),
    (None, "input"),
    ({"date": "2024/07/01"}, "date"),
    ({"date": "2025-02-30"}, "date"),
    ({"date": "2024-13-01"}, "date"),
    ({"date": "2024-07-11"}, "date"),  # tomorrow in New York
    ({"date": "2099-01-01"}, "date"),
    ({"date": 20240701}, "date"),
    ({"date": None}, "date"),
    ({"tickers": []}, "tickers"),
    ({"tickers": ["AAPL", "AAPL"]}, "tickers"),
    ({"tickers": ["aapl"]}, "tickers[0]"),
    ({"tickers": ["AAPL", "msft"]}, "tickers[1]"),
    ({"tickers": "AAPL"}, "tickers"),
    (
        {"tickers": [f"T{chr(65 + i // 676)}{chr(65 + i // 26 % 26)}{chr(65 + i % 26)}" for i in range(501)]},
        "tickers",
    ),
    ({"tickers": ["AAPL", 1]}, "tickers[1]"),
    ({"force": 1}, "force"),
    ({"force": 0}, "force"),
    ({"force": "true"}, "force"),
    ({"force": None}, "force"),
    ({"Date": "2024-07-01"}, "Date"),
    ({"date": "2024-07-01", "dryRun": True}, "dryRun"),
]


@pytest.mark.parametrize(("raw", "field"), MALFORMED_INGEST)
def test_given_malformed_ingest_input_then_invalid_input_names_the_field(raw, field):
    with pytest.raises(InvalidInput) as info:
        ingest(raw)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")


def test_given_more_tickers_than_the_configured_max_then_invalid_input():
    with pytest.raises(InvalidInput, match="at most 2"):
        ingest({"tickers": ["AAPL", "MSFT", "TSLA"]}, max_tickers=2)


def test_given_today_at_1am_utc_then_future_is_judged_in_new_york():
    # 2024-07-11 01:00 UTC is still 2024-07-10 in New York: the 11th is in the future there.
    now = dt.datetime(2024, 7, 11, 1, 0, tzinfo=dt.UTC)
    with pytest.raises(InvalidInput, match="future"):
        ingest({"date": "2024-07-11"}, now=now)
    assert ingest({"date": "2024-07-10"}, now=now).date == dt.date(2024, 7, 10)


def test_given_a_naive_now_then_value_error():
    with pytest.raises(ValueError, match="timezone-aware"):
        ingest({}, now=dt.datetime(2024, 7, 10, 18))


def test_the_default_watchlist_is_asked_for_only_by_a_run_that_takes_it():
    asked: list[int] = []

    def watchlist() -> list[str]:
        asked.append(1)
        return list(DEFAULTS)

    # Given a market run and a run naming its tickers, Then neither asks for the watchlist
    parse_ingest_input({"scope": "market"}, now=NOW, default_tickers=watchlist)
    parse_ingest_input({"tickers": ["TSLA"]}, now=NOW, default_tickers=watchlist)
    assert asked == []
    # And a watchlist run without tickers asks once and takes it
    assert parse_ingest_input({}, now=NOW, default_tickers=watchlist).tickers == tuple(DEFAULTS)
    assert asked == [1]


def test_given_a_broken_default_watchlist_then_value_error_not_user_error():
    with pytest.raises(ValueError, match="default_tickers"):
        parse_ingest_input({}, now=NOW, default_tickers=lambda: ["aapl"])


# ---- resolve_session ----------------------------------------------------------------------------


def test_given_no_date_after_the_close_then_today_is_the_session():
    assert resolve_session(ingest({}), NOW) == (dt.date(2024, 7, 10), True)


def test_given_no_date_before_the_close_then_the_previous_session():
    morning = dt.datetime(2024, 7, 10, 10, 0, tzinfo=NY)
    assert resolve_session(ingest({}, now=morning), morning) == (dt.date(2024, 7, 9), True)


def test_given_no_date_on_monday_morning_after_a_holiday_weekend_then_the_last_session():
    # Monday 2024-09-02 is Labor Day; at 09:00 the latest completed session is Friday 08-30.
    now = dt.datetime(2024, 9, 3, 9, 0, tzinfo=NY)
    assert resolve_session(ingest({}, now=now), now) == (dt.date(2024, 8, 30), True)


@pytest.mark.parametrize(
    ("day", "expected"),
    [("2024-07-04", False), ("2024-07-06", False), ("2024-07-05", True), ("2025-01-09", False)],
)
def test_given_a_date_then_whether_it_was_a_session(day, expected):
    req = ingest({"date": day}, now=dt.datetime(2025, 2, 1, tzinfo=NY))
    assert resolve_session(req, dt.datetime(2025, 2, 1, tzinfo=NY)) == (dt.date.fromisoformat(day), expected)


def test_given_todays_session_before_the_close_then_invalid_input_not_closed():
    now = dt.datetime(2024, 7, 10, 15, 59, tzinfo=NY)
    with pytest.raises(InvalidInput, match=r"^date: session 2024-07-10 has not closed yet"):
        resolve_session(ingest({"date": "2024-07-10"}, now=now), now)


def test_given_today_a_weekend_then_it_resolves_as_not_a_session():
    now = dt.datetime(2024, 7, 13, 9, 0, tzinfo=NY)  # Saturday
    assert resolve_session(ingest({"date": "2024-07-13"}, now=now), now) == (dt.date(2024, 7, 13), False)


def test_given_a_request_built_with_a_future_date_then_resolve_rejects_it():
    with pytest.raises(InvalidInput, match="future"):
        resolve_session(IngestRequest(dt.date(2024, 7, 11), DEFAULTS, False), NOW)


# ---- backfill -----------------------------------------------------------------------------------


def backfill(raw, **kw):
    return parse_backfill_input(raw, now=NOW, default_tickers=lambda: DEFAULTS, **kw)


def test_given_a_valid_backfill_then_it_is_parsed():
    assert backfill({"from": "2024-01-01", "to": "2024-06-30", "tickers": ["AAPL"], "force": True}) == (
        BackfillRequest(dt.date(2024, 1, 1), dt.date(2024, 6, 30), ("AAPL",), True)
    )
    assert backfill({"from": "2024-07-10", "to": "2024-07-10"}).tickers == DEFAULTS


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"to": "2024-01-01"}, "from"),
        ({"from": "2024-01-01"}, "to"),
        ({"from": "2024-02-01", "to": "2024-01-01"}, "from"),
        ({"from": "2024-01-01", "to": "2024-07-11"}, "to"),
        ({"from": "2024-01-01", "to": "2024-02-30"}, "to"),
        ({"from": "2019-07-01", "to": "2024-07-10"}, "to"),
        ({"from": "2024-01-01", "to": "2024-01-02", "date": "2024-01-01"}, "date"),
        ({"from": "2024-01-01", "to": "2024-01-02", "force": "yes"}, "force"),
        ({"from": "2024-01-01", "to": "2024-01-02", "tickers": ["tsla"]}, "tickers[0]"),
        (["2024-01-01", "2024-01-02"], "input"),
    ],
)
def test_given_malformed_backfill_then_invalid_input_names_the_field(raw, field):
    with pytest.raises(InvalidInput) as info:
        backfill(raw)
    assert info.value.field == field


def test_given_the_span_limit_then_it_is_inclusive():
    assert backfill({"from": "2024-07-01", "to": "2024-07-10"}, max_span_days=10).start == dt.date(2024, 7, 1)
    with pytest.raises(InvalidInput, match="span of 11 days"):
        backfill({"from": "2024-06-30", "to": "2024-07-10"}, max_span_days=10)


def test_given_a_backfill_ending_today_before_the_close_then_invalid_input():
    morning = dt.datetime(2024, 7, 10, 10, 0, tzinfo=NY)
    with pytest.raises(InvalidInput, match=r"^to: session 2024-07-10 has not closed yet"):
        parse_backfill_input(
            {"from": "2024-07-01", "to": "2024-07-10"}, now=morning, default_tickers=lambda: DEFAULTS
        )


def test_given_a_500_ticker_watchlist_then_a_backfill_takes_it_and_501_named_tickers_are_refused():
    # Given a 500-ticker watchlist (a backfill's state carries day keys, not rows: its cap is a run's)
    many = [f"{chr(65 + i // 676)}{chr(65 + i // 26 % 26)}{chr(65 + i % 26)}" for i in range(501)]
    # When a backfill names no tickers, Then it takes the whole watchlist
    whole = parse_backfill_input(
        {"from": "2024-07-01", "to": "2024-07-10"}, now=NOW, default_tickers=lambda: many[:500]
    )
    assert whole.tickers == tuple(many[:500])
    # And 501 named tickers are InvalidInput on tickers
    with pytest.raises(InvalidInput) as info:
        parse_backfill_input(
            {"from": "2024-07-01", "to": "2024-07-10", "tickers": many},
            now=NOW,
            default_tickers=lambda: many[:6],
        )
    assert info.value.field == "tickers" and "500" in info.value.reason


def test_a_backfill_naming_its_tickers_never_asks_for_the_watchlist() -> None:
    asked: list[int] = []

    def watchlist() -> list[str]:
        asked.append(1)
        return list(DEFAULTS)

    # Given a backfill naming its tickers, Then the watchlist is not read; without tickers it is, once
    named = parse_backfill_input(
        {"from": "2024-07-01", "to": "2024-07-10", "tickers": ["TSLA"]}, now=NOW, default_tickers=watchlist
    )
    assert named.tickers == ("TSLA",) and asked == []
    whole = parse_backfill_input(
        {"from": "2024-07-01", "to": "2024-07-10"}, now=NOW, default_tickers=watchlist
    )
    assert whole.tickers == tuple(DEFAULTS) and asked == [1]
