"""Pure pieces of the local market server: sliding window, rate-limit parsing, fault scripts and draws."""

from __future__ import annotations

import pytest

from movers.market.app import peak_in_window
from movers.market.faults import FaultConfig, FaultConfigError, FaultInjector, normalize_kind
from movers.market.ratelimit import (
    RateLimitConfigError,
    RateLimiter,
    SlidingWindow,
    parse_rate_limit,
    validate_rate_limit,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_given_a_full_window_when_more_calls_come_then_refused_until_the_oldest_leaves() -> None:
    clock = FakeClock()
    window = SlidingWindow(5, 60.0, clock)
    assert [window.take() for _ in range(6)] == [True] * 5 + [False]
    assert window.seconds_until_slot() == pytest.approx(60.0)
    clock.now += 59.9
    assert not window.take()
    clock.now += 0.1  # the first five calls are exactly one period old: out of (now - 60, now]
    assert [window.take() for _ in range(6)] == [True] * 5 + [False]


def test_a_burst_after_a_paced_run_is_refused_where_a_token_bucket_would_admit_it() -> None:
    # Given 5 per 10 s and calls every 2 s (the plan's average rate), when five more come at once right
    # after, then only calls that keep every 10 s window at 5 are admitted (a refilled token bucket would
    # have let the burst through and so 9 calls into one window).
    clock = FakeClock()
    window = SlidingWindow(5, 10.0, clock)
    admitted = []
    for _ in range(5):
        assert window.take()
        admitted.append(clock.now)
        clock.now += 2.0
    assert window.take()  # the first call is 10 s old now
    assert not window.take()


@pytest.mark.parametrize("calls", [1, 3])
def test_no_window_of_the_period_ever_admits_more_than_the_plan(calls: int) -> None:
    # Given requests arriving every 0.3 s for 30 s, then the admitted ones hold at most `calls` in any window.
    clock = FakeClock()
    window = SlidingWindow(calls, 2.0, clock)
    admitted = []
    for _ in range(100):
        if window.take():
            admitted.append(clock.now)
        clock.now += 0.3
    assert peak_in_window(admitted, 2.0) == calls
    assert peak_in_window(admitted, 2.0 - 1e-9) <= calls


def test_peak_in_window_counts_half_open_windows() -> None:
    assert peak_in_window([], 1.0) == 0
    assert peak_in_window([0.0, 1.0, 2.0], 1.0) == 1
    assert peak_in_window([0.0, 0.5, 0.99, 1.0], 1.0) == 3
    assert peak_in_window([3.0, 0.0, 0.1], 5.0) == 3


def test_limiter_keeps_one_bucket_per_key_and_reset_refills() -> None:
    clock = FakeClock()
    limiter = RateLimiter((2, 60.0), clock)
    assert [limiter.allow("a"), limiter.allow("a"), limiter.allow("a")] == [True, True, False]
    assert limiter.allow("b")
    limiter.reset()
    assert limiter.allow("a")


def test_limiter_off_allows_everything() -> None:
    limiter = RateLimiter(None)
    assert all(limiter.allow("k") for _ in range(1000))


@pytest.mark.parametrize(
    ("text", "expected"), [("5/60", (5, 60.0)), ("3/2.5", (3, 2.5)), ("none", None), ("7", (7, 60.0))]
)
def test_parse_rate_limit(text: str, expected: tuple[int, float] | None) -> None:
    assert parse_rate_limit(text) == expected


@pytest.mark.parametrize("text", ["five/60", "5/x", "0/60", "5/0", "-1/60"])
def test_parse_rate_limit_rejects_nonsense(text: str) -> None:
    with pytest.raises(RateLimitConfigError):
        parse_rate_limit(text)


@pytest.mark.parametrize("value", [(0, 60.0), (5, 0), (5,), "5/60", (5.5, 60.0)])
def test_validate_rate_limit_rejects_nonsense(value: object) -> None:
    with pytest.raises(RateLimitConfigError):
        validate_rate_limit(value)  # type: ignore[arg-type]


# -- faults --------------------------------------------------------------------------------------------


def test_script_is_consumed_one_per_request_then_ok() -> None:
    injector = FaultInjector(FaultConfig.from_dict(["429", "5xx", "ok", "slow", "malformed"]))
    draws = [injector.draw("range", "AAPL") for _ in range(7)]
    assert draws == ["429", "500", "ok", "slow", "malformed", "ok", "ok"]
    assert injector.state()["script_remaining"] == 0


def test_filters_decide_which_requests_consume_the_script() -> None:
    config = FaultConfig.from_dict(
        {"script": ["503", "503"], "tickers": ["TSLA"], "endpoints": ["range", "grouped"]}
    )
    injector = FaultInjector(config)
    assert injector.draw("range", "AAPL") == "ok"
    assert injector.draw("prev", "TSLA") == "ok"
    assert injector.draw("range", "TSLA") == "503"
    # grouped carries every ticker, so a ticker filter does not exclude it
    assert injector.draw("grouped", None) == "503"
    assert injector.draw("range", "TSLA") == "ok"


def test_probabilistic_faults_repeat_with_the_same_seed() -> None:
    config = FaultConfig.from_dict({"probability": 0.5, "kinds": ["429", "500", "slow"], "seed": 7})
    first = FaultInjector(config)
    second = FaultInjector(config)
    a = [first.draw("range", "AAPL") for _ in range(200)]
    b = [second.draw("range", "AAPL") for _ in range(200)]
    assert a == b
    assert 60 < sum(k != "ok" for k in a) < 140
    assert {k for k in a if k != "ok"} == {"429", "500", "slow"}
    other = FaultInjector(FaultConfig.from_dict({**config.to_dict(), "seed": 8}))
    assert [other.draw("range", "AAPL") for _ in range(200)] != a


def test_configure_restarts_the_script() -> None:
    config = FaultConfig.from_dict(["429"])
    injector = FaultInjector(config)
    assert injector.draw("prev", "AAPL") == "429"
    assert injector.draw("prev", "AAPL") == "ok"
    injector.configure(config)
    assert injector.draw("prev", "AAPL") == "429"


def test_default_config_injects_nothing() -> None:
    injector = FaultInjector()
    assert {injector.draw("range", "AAPL") for _ in range(50)} == {"ok"}
    assert FaultConfig.from_dict(None) == FaultConfig() == FaultConfig.from_dict({})


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"script": ["teapot"]}, "unknown fault kind"),
        ({"probability": 2}, "probability"),
        ({"slow_ms": 10**6}, "slow_ms"),
        ({"endpoints": ["quotes"]}, "unknown endpoint"),
        ({"colour": "red"}, "unknown fault setting"),
        ({"script": "429"}, "list of strings"),
        ("429", "JSON object or a list"),
    ],
)
def test_bad_fault_config_is_a_named_error(data: object, fragment: str) -> None:
    with pytest.raises(FaultConfigError, match=fragment):
        FaultConfig.from_dict(data)  # type: ignore[arg-type]


def test_kind_aliases() -> None:
    assert normalize_kind(429) == "429"
    assert normalize_kind("wrong-date") == "wrong_date"
    assert normalize_kind("missing_tickers") == "missing"
