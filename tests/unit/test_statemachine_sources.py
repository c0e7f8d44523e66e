"""statemachines/*.asl.json are valid JSON as committed, and render to definitions whose numbers are numbers.

The renderer (tests/support/asl.py) mirrors infrastructure/modules/state_machine; the module's own
`terraform test` (infrastructure/tests/state_machine.tftest.hcl) checks the same through Terraform.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.asl import PLACEHOLDER, SOURCES, placeholders, render, terraform_inputs

IDS = [s.name for s in SOURCES]


def _walk(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, (*path, i))


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


def _rendered(source: Path) -> tuple[dict[str, Any], dict[str, str], dict[str, int]]:
    texts, numbers = terraform_inputs(source)
    strings = {name: f"value-of-{name}" for name in texts}
    values = {name: 11 + i for i, name in enumerate(sorted(numbers))}
    return json.loads(render(source.read_text(), strings, values)), strings, values


def test_there_are_state_machine_sources() -> None:
    assert {s.name for s in SOURCES} >= {"ingest.asl.json", "backfill.asl.json", "daily_analysis.asl.json"}


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_each_source_parses_as_json_as_committed(source: Path) -> None:
    # Given the file as committed, When it is parsed, Then it is a state machine
    definition = json.loads(source.read_text())
    assert {"StartAt", "States"} <= set(definition)


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_terraform_fills_exactly_the_placeholders_of_each_source(source: Path) -> None:
    # Given the source and what its Terraform caller passes the state_machine module
    texts, numbers = terraform_inputs(source)
    # Then every placeholder has one value, and no value is passed for a placeholder the file lacks
    assert not texts & numbers
    assert placeholders(source.read_text()) == texts | numbers


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_number_placeholders_render_as_json_numbers(source: Path) -> None:
    # Given the source as committed, with each number placeholder as a whole JSON string
    committed = json.loads(source.read_text())
    _, numbers = terraform_inputs(source)
    whole = [(path, PLACEHOLDER.fullmatch(v)) for path, v in _walk(committed) if isinstance(v, str)]
    slots = [(path, m[1]) for path, m in whole if m and m[1] in numbers]
    assert {name for _, name in slots} == numbers, "each number placeholder must be a whole JSON string"
    # When it is rendered as the module renders it
    rendered, _, values = _rendered(source)
    # Then each such slot holds the number itself (an int, not a string), and the shape is unchanged
    for path, name in slots:
        assert _at(rendered, path) == values[name]
        assert type(_at(rendered, path)) is int
    assert [p for p, _ in _walk(rendered)] == [p for p, _ in _walk(committed)]


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_every_max_concurrency_is_a_number_once_rendered(source: Path) -> None:
    rendered, _, _ = _rendered(source)
    found = [v for path, v in _walk(rendered) if path and path[-1] == "MaxConcurrency"]
    assert found, f"{source.name} has no Map with MaxConcurrency"
    assert all(type(v) is int and v > 0 for v in found), found


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_text_placeholders_render_in_place(source: Path) -> None:
    rendered, strings, _ = _rendered(source)
    text = json.dumps(rendered)
    # Then no placeholder is left and every text value (ARNs, names) is in the definition
    assert "${" not in text
    assert all(value in text for value in strings.values())


def test_a_number_placeholder_inside_a_longer_string_stays_text() -> None:
    # Given a template with the number both as a whole string and inside a sentence
    template = '{"Comment": "the last ${n} sessions", "N": "${n}", "Arn": "${arn}"}'
    # When rendered
    out = json.loads(render(template, {"arn": "arn:x"}, {"n": 10}))
    # Then the whole string became a number and the sentence kept its text
    assert out == {"Comment": "the last 10 sessions", "N": 10, "Arn": "arn:x"}


def test_a_placeholder_without_a_value_is_a_named_error() -> None:
    with pytest.raises(KeyError, match="missing"):
        render('{"A": "${missing}"}', {}, {})
