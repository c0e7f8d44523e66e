"""Each function's Terraform `environment` map holds exactly the variables its settings read
(stock_movers.settings.functions.FUNCTION_SETTINGS): no function is given a variable, or a secret's ARN, it
does not use, and none reads one Terraform does not set (its default would then silently apply in every
deployment).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stock_movers.settings import variables
from stock_movers.settings.functions import FUNCTION_SETTINGS
from tests.support.tf_env import (
    FunctionEnv,
    UnreadableEnvironment,
    env_keys,
    function_environments,
    parse_body,
    tokens,
)

ROOT = Path(__file__).resolve().parents[2]
TF_DIR = ROOT / "infrastructure"
FUNCTIONS = {p.name for p in (ROOT / "functions").iterdir() if (p / "app.py").is_file()}


def differences(fn: FunctionEnv, read: frozenset[str]) -> list[str]:
    """What is wrong with one function's map: variables given but never read, and read but never given."""
    problems = [f"{fn.module}: {name} is given but its settings never read it" for name in fn.given - read]
    problems += [
        f"{fn.module}: its settings read {name}, which Terraform does not set"
        for name in read - fn.given - fn.platform
    ]
    return sorted(problems)


@pytest.fixture(scope="module")
def environments() -> dict[str, FunctionEnv]:
    found = function_environments(TF_DIR, FUNCTIONS)
    names = [fn.function for fn in found]
    assert sorted(names) == sorted(set(names)), f"a function declared twice: {names}"
    return {fn.function: fn for fn in found}


def test_every_function_folder_is_declared_once_and_has_settings(
    environments: dict[str, FunctionEnv],
) -> None:
    # Given the folders under functions/, Then each is a Terraform function and has its settings
    assert set(environments) == FUNCTIONS
    assert set(FUNCTION_SETTINGS) == FUNCTIONS


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_the_environment_map_equals_what_the_settings_read(
    environments: dict[str, FunctionEnv], function: str
) -> None:
    # Given the function's Terraform environment map and the variables its settings read
    fn = environments[function]
    read = variables(FUNCTION_SETTINGS[function])
    # Then nothing is given that is not read, and everything read is given (or set by the function module)
    assert differences(fn, read) == []


def test_only_the_fetch_functions_are_given_the_api_key_secret(environments: dict[str, FunctionEnv]) -> None:
    given = {name for name, fn in environments.items() if "API_KEY_SECRET_ARN" in fn.given}
    assert given == {"fetch_bars", "fetch_range", "reconcile"}  # reconcile re-reads from the provider


def test_the_comparison_names_a_variable_given_and_one_missing() -> None:
    # Given store_day as it was: the fetch functions' map, with the API key secret it never uses
    given = frozenset({"TABLE_NAME", "BOARD_SIZE", "API_KEY_SECRET_ARN"})
    fn = FunctionEnv("fn_store_day", "store_day", given, frozenset({"POWERTOOLS_SERVICE_NAME"}))
    # When compared with what its settings read, Then both differences are named
    assert differences(fn, variables(FUNCTION_SETTINGS["store_day"])) == [
        "fn_store_day: API_KEY_SECRET_ARN is given but its settings never read it",
        "fn_store_day: its settings read BUCKET_NAME, which Terraform does not set",
    ]


def _environment(hcl: str, locals_hcl: str = "") -> frozenset[str]:
    body, _ = parse_body(list(tokens(locals_hcl + "\n" + hcl)))
    locals_ = {k: v for b in body.blocks if b.kind == "locals" for k, v in b.attributes.items()}
    return env_keys(body.attributes["environment"], locals_)


def test_the_reader_follows_locals_merge_and_objects() -> None:
    # Given the forms infrastructure/ uses: object literals (one line or many, quoted keys), locals, merge
    locals_hcl = """
locals {
  a = { A = "x", "B" = join(",", var.list) } # a comment
  nested = { fetch = { C = "${local.x}:live" } }
  b = merge(local.a, {
    D = tostring(var.d) // another
    E = "${module.m.name}:${module.m.alias}"
  })
}
"""
    hcl = 'environment = merge(local.b, local.nested.fetch, { F = "f" })'
    # Then every key is found
    assert _environment(hcl, locals_hcl) == {"A", "B", "C", "D", "E", "F"}


@pytest.mark.parametrize(
    "hcl", ["environment = var.env", "environment = local.missing", 'environment = lookup(local.m, "k")']
)
def test_the_reader_refuses_a_form_it_cannot_read(hcl: str) -> None:
    # Given an environment expression the reader does not evaluate, Then it fails naming it (never empty)
    with pytest.raises(UnreadableEnvironment):
        _environment(hcl, "locals {\n  m = {}\n}")
