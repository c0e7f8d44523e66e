"""The tests' independent computation of the contract: the shared one in movers.oracle (plain csv +
Fraction over the bundled CSV, no pipeline code), so the tests and the chaos suite check against the same."""

from movers.oracle import CSV, DEFAULT, close, pct, pct6, rows, sessions, tickers, winner

__all__ = ["CSV", "DEFAULT", "close", "pct", "pct6", "rows", "sessions", "tickers", "winner"]
