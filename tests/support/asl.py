"""The state machine sources, statemachines/*.asl.json, rendered as the Terraform module renders them.

The files are valid JSON: every placeholder (``${name}``) sits inside a string. A placeholder that stands for
a number is a whole JSON string (``"MaxConcurrency": "${max_concurrency}"``); the module
(infrastructure/modules/state_machine) unquotes exactly the ones its caller passes in ``definition_numbers``,
then fills every placeholder as text, so those become JSON numbers. Which placeholder is which is read from
the callers in infrastructure/*.tf, so the tests and Terraform cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "statemachines").glob("*.asl.json"))
PLACEHOLDER = re.compile(r"\$\{([a-z][a-z0-9_]*)\}")
_MODULE_BLOCK = re.compile(r'^module "[^"]+" \{\n(.*?)^\}', re.MULTILINE | re.DOTALL)
_MAP = r"{name}\s*=\s*\{{(.*?)\}}"
_KEY = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*=", re.MULTILINE)


def placeholders(text: str) -> set[str]:
    """Every placeholder name in a source."""
    return set(PLACEHOLDER.findall(text))


def terraform_inputs(source: Path) -> tuple[set[str], set[str]]:
    """The (text, number) placeholder names the Terraform caller of ``source`` passes to the module."""
    for tf in sorted((ROOT / "infrastructure").glob("*.tf")):
        for block in _MODULE_BLOCK.findall(tf.read_text()):
            if f'/statemachines/{source.name}"' not in block:
                continue
            text = re.search(_MAP.format(name="definition_vars"), block, re.DOTALL)
            numbers = re.search(_MAP.format(name="definition_numbers"), block, re.DOTALL)
            assert text and numbers, f"{tf.name}: {source.name}'s module needs definition_vars and _numbers"
            return set(_KEY.findall(_no_comments(text[1]) + "\n")), set(
                _KEY.findall(_no_comments(numbers[1]).replace(",", "\n"))
            )
    raise AssertionError(f"no module in infrastructure/*.tf renders statemachines/{source.name}")


def placeholder_value(
    name: str, prefix: str, region: str = "us-east-1", account: str = "123456789012"
) -> str:
    """A stand-in for a text placeholder: ``*_arn`` is a Lambda function's ARN (an SNS topic's when the name
    says topic), ``*_execution_type`` a Map's child ExecutionType, anything else a name; each under `prefix`
    (e.g. ``stock-movers-dev``)."""
    if name.endswith("_execution_type"):
        return "EXPRESS"
    if "topic" in name:
        return f"arn:aws:sns:{region}:{account}:{prefix}-{name[:-4]}"
    if name.endswith("_arn"):
        return f"arn:aws:lambda:{region}:{account}:function:{prefix}-{name[:-4]}"
    return f"{prefix}-{name}"


def render(text: str, strings: Mapping[str, str], numbers: Mapping[str, int]) -> str:
    """What the module deploys: the number placeholders unquoted, then every placeholder filled as text."""
    if numbers:
        quoted = re.compile(r'"(\$\{(?:' + "|".join(map(re.escape, numbers)) + r")\})\"")
        text = quoted.sub(r"\1", text)
    values = {**strings, **{k: str(v) for k, v in numbers.items()}}

    def fill(match: re.Match[str]) -> str:
        if match[1] not in values:
            raise KeyError(f"placeholder ${{{match[1]}}} has no value")
        return values[match[1]]

    return PLACEHOLDER.sub(fill, text)


def _no_comments(block: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in block.splitlines())
