"""Daily analytics over the stored history: pure Python with exact Decimal arithmetic, no AWS.

Every figure is defined here once (docs/analysis.md repeats the definitions for readers):

- **volatility**: the sample standard deviation of the daily percent change over the last ``window``
  stored sessions up to and including the day (default 20);
- **z-score**: the day's percent change against the ``window`` stored sessions *before* the day:
  ``(x - mean) / sample std``; the move is **unusual** when ``|z| > threshold``;
- **wins**: over the last 7, 30 and 90 NYSE sessions ending at the day, how many of those sessions each
  ticker was the stored winner; **streak**: consecutive sessions up to the newest one that the ticker won;
- **dispersion**: the spread of the day's moves across the watchlist: the population standard deviation
  (the watchlist is the whole population of that day) and max - min.

Figures are rounded half-even to 6 decimal places. History too short for a figure gives ``None`` and a
reason that says what is missing, never an exception: a young table is not an error.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from stock_movers.domain.calendar import last_n_sessions

PLACES = 6
VOLATILITY_WINDOW = 20
WIN_WINDOWS = (7, 30, 90)
DEFAULT_UNUSUAL_THRESHOLD = Decimal("2.0")
# Stored sessions a ticker's analysis reads: the day plus the z-score baseline window before it.
HISTORY_SESSIONS = VOLATILITY_WINDOW + 1
# Tickers per Analyse Tickers iteration (Terraform's analysis_batch_size, the setting ANALYSIS_BATCH_SIZE):
# 50 keeps 500 tickers at 10 iterations of ~2 s each; 100 at most keeps one iteration well inside its timeout.
ANALYSIS_BATCH_DEFAULT = 50
ANALYSIS_BATCH_MAX = 100
_QUANTUM = Decimal(1).scaleb(-PLACES)
# Lines the daily report gives each list (unusual moves, tickers, reasons), so it stays short at 500 tickers.
REPORT_LINES = 25


def quantize(value: Decimal) -> Decimal:
    """``value`` rounded half-even to 6 decimal places (the precision of stored percent changes)."""
    return value.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class TickerAnalysis:
    """One ticker's figures for one day; a ``None`` figure has its reason in ``reasons``."""

    ticker: str
    percent_change: Decimal | None
    volatility: Decimal | None
    z_score: Decimal | None
    unusual: bool | None
    sessions: int
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (Decimals as strings) for a state machine payload."""
        return {
            "ticker": self.ticker,
            "percentChange": _text(self.percent_change),
            "volatility": _text(self.volatility),
            "zScore": _text(self.z_score),
            "unusual": self.unusual,
            "sessions": self.sessions,
            "reasons": list(self.reasons),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TickerAnalysis:
        """Inverse of :meth:`to_dict`."""
        return cls(
            ticker=str(data["ticker"]),
            percent_change=_number(data.get("percentChange")),
            volatility=_number(data.get("volatility")),
            z_score=_number(data.get("zScore")),
            unusual=data.get("unusual"),
            sessions=int(data.get("sessions", 0)),
            reasons=tuple(data.get("reasons") or ()),
        )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def analyse_ticker(
    ticker: str,
    day: dt.date,
    history: Iterable[tuple[dt.date, Decimal]],
    *,
    window: int = VOLATILITY_WINDOW,
    threshold: Decimal = DEFAULT_UNUSUAL_THRESHOLD,
) -> TickerAnalysis:
    """Volatility, z-score and the unusual flag of ``ticker`` on ``day`` from its stored (date, % change).

    Sessions after ``day`` are ignored; duplicates of a date raise ValueError (the store has one per date).
    """
    if window < 2:
        raise ValueError(f"window must be at least 2, got {window}")
    series = sorted((d, Decimal(p)) for d, p in history if d <= day)
    dates = [d for d, _ in series]
    if len(set(dates)) != len(dates):
        raise ValueError(f"{ticker}: more than one stored value for a date")
    if not series or series[-1][0] != day:
        return TickerAnalysis(
            ticker, None, None, None, None, len(series), (f"{ticker}: no bar stored for {day.isoformat()}",)
        )
    values = [p for _, p in series]
    today, before = values[-1], values[:-1]
    reasons: list[str] = []

    volatility: Decimal | None = None
    if len(values) >= window:
        volatility = quantize(statistics.stdev(values[-window:]))
    else:
        reasons.append(f"{ticker}: volatility needs {window} sessions, {len(values)} stored")

    z_score: Decimal | None = None
    if len(before) >= window:
        baseline = before[-window:]
        spread = statistics.stdev(baseline)
        if spread == 0:
            reasons.append(f"{ticker}: no variation in the {window} sessions before the day")
        else:
            z_score = quantize((today - statistics.mean(baseline)) / spread)
    else:
        reasons.append(f"{ticker}: z-score needs {window} sessions before the day, {len(before)} stored")

    unusual = None if z_score is None else abs(z_score) > threshold
    return TickerAnalysis(ticker, today, volatility, z_score, unusual, len(values), tuple(reasons))


@dataclass(frozen=True)
class WinWindow:
    """Win counts over the last ``sessions`` NYSE sessions; ``stored`` of them have a stored winner."""

    sessions: int
    stored: int
    first: dt.date
    wins: dict[str, int]


@dataclass(frozen=True)
class WinRecord:
    """Win counts per window and each ticker's current and longest winning streak."""

    windows: tuple[WinWindow, ...]
    streaks: dict[str, int]
    longest_streaks: dict[str, int]
    last_session: dt.date


def win_record(
    day: dt.date,
    winners: Mapping[dt.date, str],
    tickers: Sequence[str],
    *,
    windows: Sequence[int] = WIN_WINDOWS,
) -> WinRecord:
    """Win counts and streaks of ``tickers`` over the NYSE sessions ending at ``day``.

    ``winners`` maps a session to its stored winner (days after ``day`` are ignored). A session without a
    stored winner counts for nobody and breaks every streak (who won it is unknown). The current streak is
    the run of sessions, newest first, that the ticker won; the longest streak is the longest such run
    within the largest window.
    """
    if not windows or min(windows) < 1:
        raise ValueError(f"windows must be positive, got {list(windows)}")
    sessions = last_n_sessions(day, max(windows))  # ascending, ending at day's session
    out: list[WinWindow] = []
    for n in sorted(windows):
        span = sessions[-n:]
        won = [winners[s] for s in span if s in winners]
        out.append(WinWindow(n, len(won), span[0], {t: won.count(t) for t in tickers}))

    streaks = dict.fromkeys(tickers, 0)
    newest = winners.get(sessions[-1])
    if newest in streaks:
        for session in reversed(sessions):
            if winners.get(session) != newest:
                break
            streaks[newest] += 1

    longest = dict.fromkeys(tickers, 0)
    run_ticker, run = None, 0
    for session in sessions:
        who = winners.get(session)
        run = run + 1 if who is not None and who == run_ticker else 1
        run_ticker = who
        if who in longest:
            longest[who] = max(longest[who], run)
    return WinRecord(tuple(out), streaks, longest, sessions[-1])


@dataclass(frozen=True)
class Dispersion:
    """Spread of the day's moves across the watchlist (None with a reason when fewer than two moves)."""

    std_dev: Decimal | None
    range: Decimal | None
    count: int
    reason: str | None = None


def dispersion(moves: Mapping[str, Decimal | None]) -> Dispersion:
    """Population standard deviation and max - min of the day's percent changes (None values skipped)."""
    values = [Decimal(v) for v in moves.values() if v is not None]
    if len(values) < 2:
        return Dispersion(None, None, len(values), f"dispersion needs 2 moves, {len(values)} stored")
    return Dispersion(quantize(statistics.pstdev(values)), quantize(max(values) - min(values)), len(values))


def summarise(
    day: dt.date,
    analyses: Sequence[TickerAnalysis],
    winners: Mapping[dt.date, str],
    winner_change: Decimal | None = None,
    *,
    threshold: Decimal = DEFAULT_UNUSUAL_THRESHOLD,
    window: int = VOLATILITY_WINDOW,
    windows: Sequence[int] = WIN_WINDOWS,
) -> dict[str, Any]:
    """The day's summary (the stored item's attributes, with Decimal numbers and None for a missing figure).

    Deterministic: the same inputs give the same summary (tickers sorted), so re-running a day rewrites an
    identical item. ``Status`` is ``Partial`` when any figure is None; ``Reasons`` says why.
    """
    tickers = sorted(a.ticker for a in analyses)
    if len(set(tickers)) != len(tickers):
        raise ValueError("one analysis per ticker expected")
    by_ticker = {a.ticker: a for a in analyses}
    record = win_record(day, winners, tickers, windows=windows)
    spread = dispersion({t: by_ticker[t].percent_change for t in tickers})
    reasons = [r for t in tickers for r in by_ticker[t].reasons]
    if spread.reason:
        reasons.append(spread.reason)
    for w in record.windows:
        if w.stored < w.sessions:
            reasons.append(f"wins over {w.sessions} sessions: {w.stored} of {w.sessions} sessions stored")
    winner = winners.get(day)
    if winner is None:
        reasons.append(f"no winner stored for {day.isoformat()}")

    rows = []
    for t in tickers:
        a = by_ticker[t]
        row: dict[str, Any] = {
            "Ticker": t,
            "PercentChange": a.percent_change,
            "Volatility": a.volatility,
            "ZScore": a.z_score,
            "Unusual": a.unusual,
            "Sessions": a.sessions,
            "Streak": record.streaks[t],
            "LongestStreak": record.longest_streaks[t],
        }
        for w in record.windows:
            row[f"Wins{w.sessions}"] = w.wins[t]
        rows.append(row)
    unusual = [t for t in tickers if by_ticker[t].unusual]
    return {
        "Date": day.isoformat(),
        "Status": "Partial" if reasons else "Complete",
        "Reasons": reasons,
        "Winner": None if winner is None else {"Ticker": winner, "PercentChange": winner_change},
        "UnusualThreshold": threshold,
        "VolatilityWindow": window,
        "Unusual": unusual,
        "Dispersion": {"StdDev": spread.std_dev, "Range": spread.range, "Tickers": spread.count},
        "WinWindows": [
            {"Sessions": w.sessions, "Stored": w.stored, "From": w.first.isoformat()} for w in record.windows
        ],
        "Tickers": rows,
    }


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{Decimal(value):+.2f}%"


def _num(value: Any, places: int = 2) -> str:
    return "n/a" if value is None else f"{Decimal(value):.{places}f}"


def report(summary: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, message) of the plain-text daily report; the subject fits SNS's 100-character limit.

    The report stays short at any list size: at most REPORT_LINES unusual moves, ticker lines and reasons
    each, then a line saying how many more the stored item and the Parquet summary hold (a six-ticker
    watchlist's report is whole)."""
    day = summary["Date"]
    winner = summary.get("Winner")
    rows = summary["Tickers"]
    unusual = [r for r in rows if r["Unusual"]]
    lead = f"{winner['Ticker']} {_pct(winner['PercentChange'])}" if winner else "no winner stored"
    subject = f"stock-movers {day}: {lead}, {len(unusual)} unusual"[:100]

    lines = [f"stock-movers daily analysis for {day} ({summary['Status']})", ""]
    if winner:
        streak = next((r["Streak"] for r in rows if r["Ticker"] == winner["Ticker"]), 0)
        lines.append(f"Winner: {winner['Ticker']} {_pct(winner['PercentChange'])} (winning streak {streak})")
    else:
        lines.append("Winner: none stored for this date")
    threshold = summary["UnusualThreshold"]
    if unusual:
        lines.append(f"Unusual moves (|z| > {_num(threshold, 1)}):")
        lines += [
            f"  {r['Ticker']} {_pct(r['PercentChange'])} (z {_num(r['ZScore'])})"
            for r in unusual[:REPORT_LINES]
        ]
        lines += _more(len(unusual))
    else:
        lines.append(f"Unusual moves (|z| > {_num(threshold, 1)}): none")
    d = summary["Dispersion"]
    lines.append(
        f"Dispersion: std dev {_num(d['StdDev'])} pts, range {_num(d['Range'])} pts, {d['Tickers']} tickers"
    )
    windows = [w["Sessions"] for w in summary["WinWindows"]]
    stored = "/".join(str(w["Stored"]) for w in summary["WinWindows"])
    lines.append(f"Wins in the last {'/'.join(map(str, windows))} sessions ({stored} stored):")
    for r in sorted(rows, key=lambda r: (-r[f"Wins{windows[-1]}"], r["Ticker"]))[:REPORT_LINES]:
        wins = "/".join(str(r[f"Wins{n}"]) for n in windows)
        lines.append(
            f"  {r['Ticker']:<6} {wins:<10} move {_pct(r['PercentChange']):>9}  "
            f"vol{summary['VolatilityWindow']} {_num(r['Volatility'])}  z {_num(r['ZScore'])}"
        )
    lines += _more(len(rows))
    if summary["Reasons"]:
        lines += ["", "Partial:"] + [f"  {reason}" for reason in summary["Reasons"][:REPORT_LINES]]
        lines += _more(len(summary["Reasons"]))
    return subject, "\n".join(lines) + "\n"


def _more(count: int) -> list[str]:
    """The line that says how many a capped list of the report left out (none when nothing was)."""
    if count <= REPORT_LINES:
        return []
    return [f"  ... and {count - REPORT_LINES} more in the stored analysis"]
