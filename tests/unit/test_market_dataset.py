"""The bundled SYNTHETIC dataset: reproducible, complete on the NYSE calendar, realistic volatility order;
and the CSV loader: named errors with line numbers."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import math
import statistics
from decimal import Decimal
from pathlib import Path

import pytest

from movers.market import dataset as ds
from stock_movers.domain.calendar import sessions_in_range

HEADER = "ticker,date,open,high,low,close,volume\n"


@pytest.fixture(scope="module")
def bundled() -> ds.Dataset:
    return ds.bundled()


def _realised_vol(data: ds.Dataset, ticker: str) -> float:
    bars = data.bars_between(ticker, ds.START_DATE, ds.END_DATE)
    returns = [math.log(bars[i].close / bars[i - 1].close) for i in range(1, len(bars))]
    return statistics.stdev(returns)


def test_given_fresh_generation_when_compared_then_committed_file_is_byte_identical() -> None:
    committed = ds.bundled_path().read_bytes()
    if ds.bundled_path().suffix == ".gz":
        committed = gzip.decompress(committed)
    fresh = ds.to_csv_bytes(ds.generate())
    assert hashlib.sha256(fresh).hexdigest() == hashlib.sha256(committed).hexdigest()


def test_given_two_generations_then_bytes_are_equal() -> None:
    sessions = sessions_in_range(dt.date(2024, 1, 1), dt.date(2024, 3, 1))
    first = ds.generate_ticker(ds.MODELS[0], sessions)
    second = ds.generate_ticker(ds.MODELS[0], sessions)
    assert ds.to_csv_bytes(first) == ds.to_csv_bytes(second)


def test_seed_is_the_documented_sha256_prefix() -> None:
    expected = int.from_bytes(hashlib.sha256(b"stock-movers:TSLA").digest()[:8], "big")
    assert ds.ticker_seed("TSLA") == expected
    assert ds.ticker_seed("TSLA") != ds.ticker_seed("MSFT")


def test_bundled_covers_every_nyse_session_for_every_ticker(bundled: ds.Dataset) -> None:
    sessions = sessions_in_range(ds.START_DATE, ds.END_DATE)
    assert bundled.tickers == tuple(sorted(ds.TICKERS))
    assert {"AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA"} <= set(bundled.tickers)
    assert list(bundled.sessions) == sessions
    assert len(sessions) > 6 * 250  # more than six years, so 5-year backfills can be tested
    for ticker in bundled.tickers:
        assert [b.day for b in bundled.bars_between(ticker, ds.START_DATE, ds.END_DATE)] == sessions


def test_bundled_rows_keep_ohlc_invariants_and_are_labelled_synthetic(bundled: ds.Dataset) -> None:
    for day in bundled.sessions:
        for bar in bundled.bars_on(day):
            assert bar.high >= max(bar.open, bar.close)
            assert bar.low <= min(bar.open, bar.close)
            assert bar.low > 0
            assert bar.volume > 0
            assert bar.source == "SYNTHETIC"
            assert bar.open.as_tuple().exponent == -4


def test_volatile_names_are_more_than_twice_as_volatile_as_msft(bundled: ds.Dataset) -> None:
    msft = _realised_vol(bundled, "MSFT")
    assert _realised_vol(bundled, "TSLA") > 2 * msft
    assert _realised_vol(bundled, "NVDA") > 2 * msft
    assert _realised_vol(bundled, "AAPL") < _realised_vol(bundled, "NVDA")


def test_first_bar_opens_at_the_model_start_price(bundled: ds.Dataset) -> None:
    for model in ds.MODELS:
        first = bundled.bar(model.ticker, ds.START_DATE)
        assert first is not None
        assert first.open == Decimal(str(model.start_price)).quantize(Decimal("0.0001"))


def test_cli_writes_a_regenerated_file(tmp_path: Path) -> None:
    out = tmp_path / "again.csv.gz"
    assert ds.main(["--out", str(out)]) == 0
    assert gzip.decompress(out.read_bytes()) == ds.to_csv_bytes(ds.generate())
    assert len(ds.load_csv(out)) == len(ds.bundled())


# -- loader ---------------------------------------------------------------------------------------------


def _write(tmp_path: Path, text: str, name: str = "bars.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_given_csv_without_source_when_loaded_then_rows_are_served_as_csv(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        HEADER
        + "AAPL,2024-01-02,10,12,9,11,100\n"
        + "TSLA,2024-01-02,20,21,19,19.5,200\n"
        + "AAPL,2024-01-03,11,11,10,10.5,50\n",
    )
    data = ds.load_csv(path)
    assert data.tickers == ("AAPL", "TSLA")
    assert [b.ticker for b in data.bars_on(dt.date(2024, 1, 2))] == ["AAPL", "TSLA"]
    bar = data.bar("AAPL", dt.date(2024, 1, 3))
    assert bar is not None
    assert (bar.open, bar.close, bar.volume, bar.source) == (Decimal("11"), Decimal("10.5"), 50, "CSV")
    assert data.last_bar_on_or_before("AAPL", dt.date(2024, 1, 10)) == bar
    assert data.last_bar_on_or_before("AAPL", dt.date(2023, 1, 1)) is None


def test_given_a_fractional_volume_then_it_is_loaded_and_served_exactly(tmp_path: Path) -> None:
    # Given real data's fractional volume (Massive's `v` is a double: fractional-share trades) and a whole one
    rows = "AAPL,2024-01-02,10,12,9,11,82488674.25\nAAPL,2024-01-03,11,12,10,11,5E+2\n"
    path = _write(tmp_path, HEADER + rows)
    # When loaded
    data = ds.load_csv(path)
    fractional, whole = data.bar("AAPL", dt.date(2024, 1, 2)), data.bar("AAPL", dt.date(2024, 1, 3))
    assert fractional is not None and whole is not None
    # Then the fraction is kept and the whole volume is an int; as JSON a client parsing numbers as Decimal
    # reads the CSV's value back
    assert fractional.volume == Decimal("82488674.25")
    assert whole.volume == 500 and isinstance(whole.volume, int)
    served = json.dumps({"v": ds.volume_json(fractional.volume), "w": ds.volume_json(whole.volume)})
    assert json.loads(served, parse_float=Decimal) == {"v": Decimal("82488674.25"), "w": 500}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("AAPL,2024-13-02,10,12,9,11,100\n", "bad date"),
        ("AAPL,2024-01-02,ten,12,9,11,100\n", "open 'ten' is not a number"),
        ("AAPL,2024-01-02,10,12,9,11,-1\n", "volume '-1' is not >= 0"),
        ("AAPL,2024-01-02,10,12,9\n", "expected 7 fields"),
        ("AAPL,2024-01-02,10,10.5,9,11,100\n", "OHLC invariant"),
        ("AAPL,2024-01-02,0,12,0,11,100\n", "prices must be > 0"),
        ("AAPL,2024-01-02,10,12,9,NaN,100\n", "not finite"),
        ("AA PL,2024-01-02,10,12,9,11,100\n", "bad ticker"),
    ],
)
def test_given_bad_row_when_loaded_then_dataset_error_names_line(
    tmp_path: Path, body: str, fragment: str
) -> None:
    path = _write(tmp_path, HEADER + "MSFT,2024-01-02,10,12,9,11,100\n" + body)
    with pytest.raises(ds.DatasetError, match=fragment) as info:
        ds.load_csv(path)
    assert info.value.line == 3
    assert f"{path}:3" in str(info.value)


def test_given_missing_column_then_header_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "ticker,date,open,high,low,close\nAAPL,2024-01-02,1,1,1,1\n")
    with pytest.raises(ds.DatasetError, match=r"missing column.*volume"):
        ds.load_csv(path)


def test_given_duplicate_bar_then_error(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "AAPL,2024-01-02,10,12,9,11,100\nAAPL,2024-01-02,10,12,9,11,100\n")
    with pytest.raises(ds.DatasetError, match="duplicate bar for AAPL on 2024-01-02"):
        ds.load_csv(path)


def test_given_empty_or_absent_file_then_error(tmp_path: Path) -> None:
    with pytest.raises(ds.DatasetError, match="no such file"):
        ds.load_csv(tmp_path / "absent.csv")
    with pytest.raises(ds.DatasetError, match="empty file"):
        ds.load_csv(_write(tmp_path, ""))
    with pytest.raises(ds.DatasetError, match="no data rows"):
        ds.load_csv(_write(tmp_path, HEADER, "header_only.csv"))


def test_given_broken_ohlc_when_lenient_then_loaded_for_replay(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "AAPL,2024-01-02,0,12,9,11,100\n")
    data = ds.load_csv(path, strict=False)
    bar = data.bar("AAPL", dt.date(2024, 1, 2))
    assert bar is not None and bar.open == 0


def test_gzip_csv_round_trip(tmp_path: Path) -> None:
    bars = ds.generate_ticker(ds.MODELS[4], sessions_in_range(dt.date(2024, 1, 1), dt.date(2024, 2, 1)))
    path = tmp_path / "tsla.csv.gz"
    ds.write_csv(bars, path)
    assert list(ds.load_csv(path).bars_between("TSLA", dt.date(2024, 1, 1), dt.date(2024, 2, 1))) == bars
