"""docs/openapi.json is generated from the API's route definitions and must not drift from them."""

from __future__ import annotations

import json
from pathlib import Path

from functions.api import openapi

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_given_the_routes_when_the_spec_is_regenerated_then_it_equals_the_committed_file():
    regenerated = openapi.render(openapi.build_spec())
    committed = COMMITTED.read_text(encoding="utf-8")
    assert regenerated == committed, "docs/openapi.json is out of date: run `make openapi`"


def test_the_spec_lists_every_route_and_no_422():
    spec = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert set(spec["paths"]) == {
        "/movers",
        "/movers/{date}",
        "/movers/{date}/leaders",
        "/tickers/{symbol}/history",
        "/analysis/latest",
        "/analysis/{date}",
        "/health",
    }
    for operations in spec["paths"].values():
        assert set(operations) == {"get", "head"}
        assert "422" not in operations["get"]["responses"]
        # HEAD: the GET's parameters and status codes, no bodies
        head, get = operations["head"], operations["get"]
        assert head.get("parameters") == get.get("parameters")
        assert set(head["responses"]) == set(get["responses"])
        assert all("content" not in r for r in head["responses"].values())
        assert head["operationId"].endswith("_head") and head["operationId"] != get["operationId"]
    mover = spec["components"]["schemas"]["Mover"]
    assert mover["required"] == ["Date", "Ticker", "PercentChange", "ClosingPrice"]
    assert mover["additionalProperties"] is False


def test_the_spec_states_the_exact_parameter_forms():
    spec = json.loads(COMMITTED.read_text(encoding="utf-8"))
    schemas = {
        (path, p["name"]): p["schema"]
        for path, ops in spec["paths"].items()
        for p in ops["get"].get("parameters", [])
    }
    limit, days = schemas[("/movers", "limit")], schemas[("/tickers/{symbol}/history", "days")]
    assert (limit["type"], limit["minimum"], limit["maximum"], limit["default"]) == ("integer", 1, 30, 7)
    assert (days["type"], days["minimum"], days["maximum"], days["default"]) == ("integer", 1, 365, 30)
    # ASCII classes, not \d (which is Unicode in several regex engines)
    assert schemas[("/movers/{date}", "date")]["pattern"] == "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
    assert schemas[("/tickers/{symbol}/history", "symbol")]["pattern"] == "^[A-Z]{1,5}(?:[.-][A-Z]{1,2})?$"
    # the leaders route (DESIGN §5): n 1-50 default 10, scope and side as enums with their defaults
    n = schemas[("/movers/{date}/leaders", "n")]
    assert (n["type"], n["minimum"], n["maximum"], n["default"]) == ("integer", 1, 50, 10)
    scope, side = schemas[("/movers/{date}/leaders", "scope")], schemas[("/movers/{date}/leaders", "side")]
    assert (scope["enum"], scope["default"]) == (["watchlist", "market"], "watchlist")
    assert (side["enum"], side["default"]) == (["both", "gainers", "losers"], "both")
    assert schemas[("/movers/{date}/leaders", "date")]["pattern"] == "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def test_the_leaders_body_is_the_contract_shape():
    spec = json.loads(COMMITTED.read_text(encoding="utf-8"))
    components = spec["components"]["schemas"]
    board, entry = components["Leaders"], components["Leader"]
    assert board["required"] == ["Date", "Scope", "Gainers", "Losers"]
    assert entry["required"] == ["Ticker", "PercentChange", "ClosingPrice"]
    assert board["additionalProperties"] is False and entry["additionalProperties"] is False
    responses = spec["paths"]["/movers/{date}/leaders"]["get"]["responses"]
    assert set(responses) == {"200", "304", "400", "404", "500"}


def test_check_mode_fails_on_a_stale_file(tmp_path, capsys):
    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n")
    assert openapi.main(["--check", "--output", str(stale)]) == 1
    assert "make openapi" in capsys.readouterr().err
    assert openapi.main(["--output", str(stale)]) == 0
    assert openapi.main(["--check", "--output", str(stale)]) == 0
