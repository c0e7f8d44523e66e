"""Bring your own feed: the pushed-bar schema (domain.push), the processor's use case and the push run's
collect step (usecases.push), with fakes for the table, the queue and the work objects."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from stock_movers.adapters.storage import (
    audit_pk,
    bar_work_key,
    day_work_key,
    push_audit_key,
    pushed_work_key,
)
from stock_movers.domain.bars import DailyBar
from stock_movers.domain.errors import InvalidBar, InvalidPushEvent
from stock_movers.domain.movers import validated_day
from stock_movers.domain.push import PushedBar, parse_pushed_bar
from stock_movers.execution_names import daily_execution_name
from stock_movers.usecases.pick import pick_stored_day
from stock_movers.usecases.push import collect_pushed, process_event

NOW = dt.datetime(2026, 11, 20, 23, 0, tzinfo=dt.UTC)  # Friday 18:00 New York: the 20th has closed
DAY = "2026-11-20"
RUN = daily_execution_name(DAY)


def event(**detail: Any) -> dict[str, Any]:
    base = {
        "ticker": "AAPL",
        "date": DAY,
        "open": "100.00",
        "high": "106.50",
        "low": "99.10",
        "close": "105.00",
        "volume": "1200",
        "adjusted": True,
        "provider": "acme-feed",
    }
    base.update(detail)
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "Daily Bar",
        "source": "com.example.feed",
        "account": "123456789012",
        "time": "2026-11-20T22:30:05Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {k: v for k, v in base.items() if v is not DROP},
    }


DROP = object()


# --------------------------------------------------------------------------------------------- the schema
def test_a_valid_event_gives_the_bar_its_basis_and_origin() -> None:
    # Given a well-formed Daily Bar event, When parsed, Then the bar is exact and its facts are kept
    pushed = parse_pushed_bar(event(), NOW)
    assert pushed.bar == DailyBar("AAPL", dt.date(2026, 11, 20), Decimal("100.00"), Decimal("106.50"),
                                  Decimal("99.10"), Decimal("105.00"), Decimal(1200))  # fmt: skip
    assert (pushed.percent_change, pushed.adjusted, pushed.provider, pushed.source) == (
        Decimal("5.000000"), True, "acme-feed", "com.example.feed")  # fmt: skip


def _with(key: str, value: Any) -> dict[str, Any]:
    out = event()
    out[key] = value
    return out


SCHEMA_FAULTS = [
    (_with("detail-type", "DailyBar"), "detail-type"),
    (_with("source", "aws.states"), "source"),
    (_with("source", "Has Spaces"), "source"),
    (_with("detail", ["AAPL"]), "detail"),
    (event(extra="1"), "detail.extra"),
    (event(volume=DROP), "detail.volume"),
    (event(adjusted=DROP), "detail.adjusted"),
    (event(ticker="aapl"), "detail.ticker"),
    (event(ticker=None), "detail.ticker"),
    (event(date="20-11-2026"), "detail.date"),
    (event(date="2026-02-30"), "detail.date"),
    (event(date="2026-11-21"), "detail.date"),  # a Saturday
    (event(date="2026-11-26"), "detail.date"),  # Thanksgiving
    (event(date="2026-11-23"), "detail.date"),  # a session that has not closed at NOW
    (event(open=100.0), "detail.open"),  # a JSON number, not a decimal string
    (event(close="NaN"), "detail.close"),
    (event(high="1e3"), "detail.high"),
    (event(low=" 99.10"), "detail.low"),
    (event(volume="+1200"), "detail.volume"),
    (event(adjusted="true"), "detail.adjusted"),
    (event(provider=""), "detail.provider"),
    (event(provider="a" * 65), "detail.provider"),
]


@pytest.mark.parametrize(("bad", "field"), SCHEMA_FAULTS)
def test_a_schema_fault_is_invalid_push_event_naming_the_field(bad: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidPushEvent) as info:
        parse_pushed_bar(bad, NOW)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")


def test_a_non_object_event_is_refused() -> None:
    with pytest.raises(InvalidPushEvent, match=r"^event: must be an EventBridge event object"):
        parse_pushed_bar(["not", "an", "event"], NOW)


BAR_FAULTS = [
    (event(open="0"), "open"),
    (event(open="-1", low="-2"), "open"),
    (event(high="104.99"), "high"),  # below the close
    (event(low="100.01"), "low"),  # above the open
    (event(volume="1.123456789"), "volume"),  # nine decimal places
    (event(close="105.000000001", high="106"), "close"),  # nine decimal places
    (event(open="10000001", high="10000002"), "open"),  # above the maximum price
    (event(open="1", low="1", close="102", high="102"), "percentChange"),  # +10,100 %
]


@pytest.mark.parametrize(("bad", "field"), BAR_FAULTS)
def test_a_bar_fault_is_the_fetched_bars_own_invalid_bar(bad: dict[str, Any], field: str) -> None:
    # Given a well-formed event whose bar breaks a bar rule
    with pytest.raises(InvalidBar) as pushed:
        parse_pushed_bar(bad, NOW)
    # Then it is refused exactly as the daily run refuses that bar when fetched: same error, same words
    detail = bad["detail"]
    fetched = DailyBar.from_dict({k: detail[k] for k in ("ticker", "date", "open", "high", "low", "close",
                                                         "volume")})  # fmt: skip
    with pytest.raises(InvalidBar) as daily:
        validated_day([fetched], ["AAPL"], dt.date(2026, 11, 20))
    assert (pushed.value.field, str(pushed.value)) == (daily.value.field, str(daily.value))
    assert pushed.value.field == field


# ------------------------------------------------------------------------------------------ the processor
class FakePorts:
    """The main table (pushed bars by session and ticker, audit records by key) and the queue."""

    def __init__(self) -> None:
        self.bars: dict[tuple[str, str], dict[str, Any]] = {}
        self.audits: dict[str, dict[str, Any]] = {}
        self.queue: list[dict[str, Any]] = []

    def store_bar(self, pushed: PushedBar, event_id: str, received_at: str) -> bool:
        key = (pushed.bar.date.isoformat(), pushed.bar.ticker)
        held = self.bars.get(key)
        if held is not None and held["receivedAt"] > received_at:
            return False
        self.bars[key] = {"bar": pushed.bar.to_dict(), "adjusted": pushed.adjusted,
                          "provider": pushed.provider, "eventId": event_id,
                          "receivedAt": received_at}  # fmt: skip
        return True

    def audit(self, day: dt.date, received_at: str, event_id: str, record: dict[str, Any]) -> None:
        key = push_audit_key(day, received_at, event_id)
        self.audits[f"{key['pk']['S']}|{key['sk']['S']}"] = record

    def dead_letter(self, message: dict[str, Any]) -> None:
        self.queue.append(json.loads(json.dumps(message)))

    # collect
    def pushed_bars(self, day: dt.date) -> dict[str, dict[str, Any]]:
        return {t: v for (d, t), v in self.bars.items() if d == day.isoformat()}

    def put_work(self, key: str, body: bytes) -> None:
        self.work = (key, body)


def test_a_valid_event_is_stored_and_audited_and_nothing_is_dead_lettered() -> None:
    ports = FakePorts()
    # When a valid event is processed
    out = process_event(ports, event(), NOW, "req-1")
    # Then its bar is the session's pushed bar of AAPL, one audit record says Accepted, the queue is empty
    assert out == {"outcome": "Accepted", "eventId": event()["id"], "ticker": "AAPL", "date": DAY}
    assert ports.bars[(DAY, "AAPL")]["bar"]["close"] == "105.00"
    ((key, record),) = ports.audits.items()
    assert key == f"{audit_pk(DAY)}|2026-11-20T22:30:05Z#push-{event()['id']}"
    assert (record["Kind"], record["Outcome"], record["Ticker"], record["Date"]) == (
        "PushedBar", "Accepted", "AAPL", DAY)  # fmt: skip
    assert (record["Provider"], record["Adjusted"]) == ("acme-feed", True)
    assert record["PercentChange"] == "5.000000"
    assert ports.queue == []


@pytest.mark.parametrize(("bad", "field"), [*SCHEMA_FAULTS[:6], *BAR_FAULTS[:3]])
def test_a_malformed_event_writes_only_its_audit_record_and_its_dead_letter(
    bad: dict[str, Any], field: str
) -> None:
    ports = FakePorts()
    # When a malformed event is processed
    out = process_event(ports, bad, NOW, "req-1")
    # Then no bar is stored, one audit record says Rejected with the error's name, one message is queued
    assert out["outcome"] == "Rejected" and out["error"] in ("InvalidPushEvent", "InvalidBar")
    assert ports.bars == {}
    ((record),) = ports.audits.values()
    assert (record["Outcome"], record["Error"], record["Field"]) == ("Rejected", out["error"], field)
    assert record["Message"] == out["message"] and json.loads(record["Event"]) == json.loads(json.dumps(bad))
    (message,) = ports.queue
    assert (message["error"], message["field"], message["eventId"]) == (out["error"], field, bad["id"])
    assert message["event"] == json.loads(json.dumps(bad))


def test_a_redelivered_event_overwrites_its_one_audit_record() -> None:
    ports = FakePorts()
    process_event(ports, event(), NOW, "req-1")
    process_event(ports, event(), NOW, "req-2")
    assert len(ports.audits) == 1 and len(ports.bars) == 1


def test_an_older_event_delivered_late_never_replaces_a_newer_bar() -> None:
    # Given a bar pushed at 22:40, When an event of 22:30 for the same ticker and day arrives after it
    ports = FakePorts()
    newer = event(close="104.00")
    newer["id"], newer["time"] = "11111111-2222-3333-4444-555555555555", "2026-11-20T22:40:00Z"
    process_event(ports, newer, NOW, "req-1")
    out = process_event(ports, event(), NOW, "req-2")
    # Then the newer bar stays, and the late one is audited as Superseded (not dead-lettered)
    assert out["outcome"] == "Superseded"
    assert ports.bars[(DAY, "AAPL")]["bar"]["close"] == "104.00"
    assert sorted(r["Outcome"] for r in ports.audits.values()) == ["Accepted", "Superseded"]
    assert ports.queue == []


def test_an_event_without_a_usable_id_or_time_is_audited_under_the_request_id_and_now() -> None:
    bad = _with("id", "not an id!")
    bad["time"] = "yesterday"
    ports = FakePorts()
    process_event(ports, bad, NOW, "req-9")
    (key,) = ports.audits
    assert key == f"{audit_pk(DAY)}|2026-11-20T23:00:00Z#push-req-9"


# ------------------------------------------------------------------------------------- the push run
class WorkObjects:
    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects

    def get(self, key: str) -> bytes:
        return self.objects[key]

    def get_if_exists(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def put_bytes(self, key: str, body: bytes, content_type: str) -> str | None:
        self.objects[key] = body
        return None


def test_collect_hands_pushed_bars_to_pick_winner_and_names_only_the_rest_to_fetch() -> None:
    # Given pushed bars for AAPL and MSFT (and one for a ticker the run does not watch)
    ports = FakePorts()
    for ticker, close in (("AAPL", "105.00"), ("MSFT", "98.00"), ("ZZZ", "300")):
        e = event(ticker=ticker, close=close, low="97")
        e["id"] = f"id-{ticker}"
        process_event(ports, e, NOW, "req")
    # When a push run for AAPL, MSFT and NVDA collects them
    work_key = pushed_work_key(RUN)
    answer = collect_pushed(ports, dt.date(2026, 11, 20), ["AAPL", "MSFT", "NVDA"], work_key)
    # Then only NVDA is left to fetch, and the work object holds exactly the run's pushed bars
    assert answer == {"key": work_key, "pushed": 2, "missing": ["NVDA"], "missingCount": 1}
    key, body = ports.work
    snapshot = json.loads(body)
    assert key == work_key and {k for k in snapshot if not k.startswith("_")} == {"AAPL", "MSFT"}
    assert snapshot["_provider"] == "push" and snapshot["_pushed"]["MSFT"]["eventId"] == "id-MSFT"
    # And Pick Winner reduces the pushed bars with NVDA's fetched bar, recording both origins
    nvda = {"ticker": "NVDA", "date": DAY, "open": "50", "high": "56", "low": "49", "close": "55",
            "volume": "10"}  # fmt: skip
    objects = WorkObjects({key: body, bar_work_key(RUN, "NVDA"): json.dumps(
        {"provider": "massive", "bar": nvda}).encode()})  # fmt: skip
    picked = pick_stored_day(objects, dt.date(2026, 11, 20), ["AAPL", "MSFT", "NVDA"], key, RUN)
    assert picked["winner"]["ticker"] == "NVDA" and picked["winner"]["provider"] == "massive"
    rows = json.loads(objects.objects[day_work_key(RUN)])["rows"]
    assert {r["ticker"]: r["provider"] for r in rows} == {"AAPL": "push", "MSFT": "push", "NVDA": "massive"}
    assert {r["ticker"]: r["close"] for r in rows} == {"AAPL": "105.00", "MSFT": "98.00", "NVDA": "55"}


def test_a_run_whose_every_ticker_was_pushed_has_nothing_left_to_fetch() -> None:
    ports = FakePorts()
    process_event(ports, event(), NOW, "req")
    answer = collect_pushed(ports, dt.date(2026, 11, 20), ["AAPL"], "k")
    assert (answer["missing"], answer["missingCount"]) == ([], 0)
    # And a day without pushed bars fetches everything
    assert collect_pushed(ports, dt.date(2026, 11, 19), ["AAPL"], "k")["missing"] == ["AAPL"]
