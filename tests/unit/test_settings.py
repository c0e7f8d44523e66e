"""stock_movers.settings: one SettingsError naming every bad variable, typed values, and the only reader of
the environment in functions/ and layers/."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from stock_movers.domain.inputs import DEFAULT_MAX_SPAN_DAYS
from stock_movers.providers.base import FETCH_STRATEGIES
from stock_movers.providers.factory import PROVIDERS
from stock_movers.settings import SettingsError, load, variables
from stock_movers.settings import provider as provider_settings
from stock_movers.settings.functions import FUNCTION_SETTINGS, FetchSettings, PlanBackfillSettings
from stock_movers.settings.pipeline import Analysis, BackfillLimits
from stock_movers.usecases.backfill import DEFAULT_BATCH_SIZE

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "layers/shared/python/stock_movers/settings/core.py"
FETCH = {
    "CONTROL_TABLE_NAME": "control", "BUCKET_NAME": "data", "MARKET_PROVIDER": "tiingo",
    "PROVIDER_BASE_URL": "", "API_KEY_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:1:secret:k",
    "API_KEY_CACHE_SECONDS": "0", "RATE_LIMIT_CALLS": "7", "RATE_LIMIT_PERIOD_SECONDS": "1.5",
    "RATE_LIMIT_ALLOWANCE_SECONDS": "0.25", "RATE_LIMIT_MAX_WAIT_SECONDS": "20",
    "RATE_LIMIT_WAIT_BUDGET_SECONDS": "600", "IDEMPOTENCY_TTL_SECONDS": "3600",
}  # fmt: skip


def test_a_full_environment_loads_typed_groups() -> None:
    # Given every fetch variable, When loaded, Then each group holds typed values
    s = load(FetchSettings, FETCH)
    assert s.control.name == "control" and s.bucket.name == "data" and s.provider.name == "tiingo"
    assert s.access.base_url is None and s.access.api_key_cache_seconds == 0
    assert s.rate_limit.calls == 7 and s.rate_limit.period_seconds == 1.5
    assert s.idempotency.ttl_seconds == 3600


def test_one_error_names_every_missing_and_malformed_variable() -> None:
    # Given a fetch environment without its names and with two malformed numbers
    env = {**FETCH, "RATE_LIMIT_CALLS": "five", "IDEMPOTENCY_TTL_SECONDS": "10"}
    del env["CONTROL_TABLE_NAME"], env["API_KEY_SECRET_ARN"]
    env["BUCKET_NAME"] = "  "
    # When loaded, Then ONE SettingsError names all five, each with what is wrong
    with pytest.raises(SettingsError) as raised:
        load(FetchSettings, env)
    assert raised.value.problems == {
        "API_KEY_SECRET_ARN": "is required",
        "BUCKET_NAME": "is empty",
        "CONTROL_TABLE_NAME": "is required",
        "IDEMPOTENCY_TTL_SECONDS": "must be >= 60, got '10'",
        "RATE_LIMIT_CALLS": "must be a whole number, got 'five'",
    }
    assert str(raised.value).startswith("FetchSettings: bad environment: API_KEY_SECRET_ARN is required;")


@pytest.mark.parametrize(
    ("name", "value", "why"),
    [
        ("MARKET_PROVIDER", "polygon", "must be one of alphavantage, massive, tiingo, got 'polygon'"),
        ("RATE_LIMIT_PERIOD_SECONDS", "0", "must be a positive number, got '0'"),
        ("RATE_LIMIT_PERIOD_SECONDS", "nan", "must be a positive number, got 'nan'"),
        ("RATE_LIMIT_PERIOD_SECONDS", "inf", "must be a positive number, got 'inf'"),
        ("API_KEY_CACHE_SECONDS", "-1", "must be >= 0, got '-1'"),
    ],
)
def test_a_malformed_value_is_named_with_its_reason(name: str, value: str, why: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load(FetchSettings, {**FETCH, name: value})
    assert raised.value.problems == {name: why}


def test_the_watchlist_is_read_from_its_object_not_the_environment() -> None:
    # Given a backfill planner's environment without the watchlist object's key, Then SettingsError names it
    env = {"TABLE_NAME": "t", "BUCKET_NAME": "b", "WATCHLIST": "AAPL,MSFT"}
    with pytest.raises(SettingsError) as raised:
        load(PlanBackfillSettings, env)
    assert raised.value.problems == {"WATCHLIST_KEY": "is required"}
    # And with it, the settings say where the object is (the version is optional: the current one)
    where = load(PlanBackfillSettings, {**env, "WATCHLIST_KEY": "config/watchlist.json"}).watchlist
    assert (where.bucket, where.key, where.version) == ("b", "config/watchlist.json", None)


@pytest.mark.parametrize("raw", ["0", "-1", "x", "NaN", "Infinity"])
def test_a_bad_threshold_is_a_settings_error(raw: str) -> None:
    with pytest.raises(SettingsError, match="UNUSUAL_THRESHOLD"):
        load(Analysis, {"UNUSUAL_THRESHOLD": raw})
    assert load(Analysis, {}).unusual_threshold == Decimal("2.0")


def test_tunables_default_as_the_code_they_replace() -> None:
    limits = load(BackfillLimits, {})
    assert (limits.max_span_days, limits.batch_size) == (DEFAULT_MAX_SPAN_DAYS, DEFAULT_BATCH_SIZE)


def test_the_provider_and_strategy_names_are_the_adapters() -> None:
    assert set(provider_settings.MARKET_PROVIDERS) == set(PROVIDERS)
    assert set(provider_settings.FETCH_STRATEGIES) == set(FETCH_STRATEGIES)


def test_variables_lists_every_group_field() -> None:
    assert variables(PlanBackfillSettings) == {
        "TABLE_NAME", "BUCKET_NAME", "WATCHLIST_KEY", "WATCHLIST_VERSION", "MARKET_PROVIDER",
        "PROVIDER_DAILY_CALLS", "BACKFILL_MAX_SPAN_DAYS", "BACKFILL_BATCH_SIZE",
    }  # fmt: skip
    assert all(variables(cls) or name == "pick_winner" for name, cls in FUNCTION_SETTINGS.items())


def test_settings_is_the_only_reader_of_the_environment() -> None:
    # Given every Python file the functions and layers ship, Then only settings/core.py reads the environment,
    # and SettingsError is defined once
    readers, definitions = [], []
    for path in [*ROOT.glob("functions/**/*.py"), *ROOT.glob("layers/**/*.py")]:
        text = path.read_text()
        if re.search(r"\bos\.(environ|getenv)\b|\bgetenv\(", text) and path != SETTINGS:
            readers.append(str(path.relative_to(ROOT)))
        if "class SettingsError" in text:
            definitions.append(str(path.relative_to(ROOT)))
    assert readers == []
    assert definitions == ["layers/shared/python/stock_movers/settings/core.py"]


def test_the_api_cold_start_loads_none_of_the_pipelines_settings() -> None:
    # Given a fresh interpreter with the API function and the shared layer first on its path, as a cold start
    paths = [str(ROOT / "functions/api"), str(ROOT / "layers/shared/python")]
    wanted = ("stock_movers.settings", "holidays")
    script = (
        f"import sys; sys.path[:0] = {paths!r}; import app; "
        f"print(' '.join(sorted(m for m in sys.modules if m.startswith({wanted!r}))))"
    )
    env = {"TABLE_NAME": "movers", "POWERTOOLS_TRACE_DISABLED": "true", "PATH": "/usr/bin:/bin"}
    # When the handler module is imported
    done = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    # Then of the settings only the core, the resources and the API's own are loaded, not the ~40 classes
    # of every function (~20 ms), and the NYSE calendar's `holidays` data (~20-35 ms) is not loaded at all
    assert done.stdout.split() == [
        "stock_movers.settings", "stock_movers.settings.api", "stock_movers.settings.core",
        "stock_movers.settings.resources",
    ]  # fmt: skip
