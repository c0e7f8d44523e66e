"""The keys of each function's Terraform `environment` map, read from infrastructure/*.tf without Terraform.

A small reader of the HCL this repository writes (python-hcl2 is not a dependency): blocks, attributes, and,
for an `environment` expression, the keys of an object literal `{ K = v, ... }`, of `local.NAME` (also
`local.NAME.attr` into an object), and of `merge(a, b, ...)` over those. Any other expression raises
:class:`UnreadableEnvironment` naming it, so a new form fails the test instead of reading as empty.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

OPEN, CLOSE = "{[(", "}])"
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)\n")


class UnreadableEnvironment(ValueError):
    """An `environment` expression of a form the reader does not evaluate."""


@dataclass
class Block:
    kind: str
    labels: list[str]
    attributes: dict[str, list[str]] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)


def _string_end(text: str, i: int) -> int:
    """The index after the string starting at text[i] == '"' (escapes and nested ${...} with strings)."""
    i += 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i + 1
        if text.startswith("${", i) or text.startswith("%{", i):
            depth, i = 1, i + 2
            while depth:
                if text[i] == '"':
                    i = _string_end(text, i)
                    continue
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                i += 1
            continue
        i += 1
    raise ValueError("unterminated string")


def tokens(text: str) -> Iterator[str]:
    """HCL tokens: strings (with quotes), heredocs, identifiers (dotted names split by '.'), punctuation,
    and "\\n" for each line end (comments dropped)."""
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\n":
            yield "\n"
            i += 1
        elif c in " \t\r":
            i += 1
        elif c == "#" or text.startswith("//", i):
            i = text.find("\n", i) if "\n" in text[i:] else len(text)
        elif text.startswith("/*", i):
            i = text.index("*/", i) + 2
        elif c == '"':
            end = _string_end(text, i)
            yield text[i:end]
            i = end
        elif (heredoc := _HEREDOC.match(text, i)) is not None:
            end = re.compile(rf"^\s*{heredoc.group(1)}\s*$", re.M).search(text, heredoc.end())
            if end is None:
                raise ValueError("unterminated heredoc")
            yield '"<heredoc>"'
            i = end.end()
        elif (word := _IDENT.match(text, i)) is not None:
            yield word.group()
            i = word.end()
        elif c.isdigit():
            j = i
            while j < len(text) and (text[j].isalnum() or text[j] == "."):
                j += 1
            yield text[i:j]
            i = j
        else:
            two = text[i : i + 2]
            if two in ("==", "!=", "<=", ">=", "&&", "||", "=>"):
                yield two
                i += 2
            else:
                yield c
                i += 1


def _expression(toks: list[str], i: int) -> tuple[list[str], int]:
    """The tokens of one attribute value from toks[i] up to its line end at bracket depth 0."""
    depth, start = 0, i
    while i < len(toks):
        t = toks[i]
        if t in OPEN:
            depth += 1
        elif t in CLOSE:
            if depth == 0:
                break
            depth -= 1
        elif t == "\n" and depth == 0:
            break
        i += 1
    return _strip(toks[start:i]), i


def parse_body(toks: list[str], i: int = 0, closing: bool = False) -> tuple[Block, int]:
    """The attributes and nested blocks of a body (a file, or the inside of `{ ... }`)."""
    body = Block("body", [])
    while i < len(toks):
        t = toks[i]
        if t == "\n":
            i += 1
            continue
        if t == "}" and closing:
            return body, i + 1
        if toks[i + 1] == "=":
            value, i = _expression(toks, i + 2)
            body.attributes[t] = value
            continue
        labels = []
        j = i + 1
        while toks[j] != "{":
            labels.append(toks[j].strip('"'))
            j += 1
        inner, i = parse_body(toks, j + 1, closing=True)
        inner.kind, inner.labels = t, labels
        body.blocks.append(inner)
    if closing:
        raise ValueError("unclosed block")
    return body, i


def read_dir(directory: Path) -> list[Block]:
    """The top-level blocks of every .tf file of `directory` (not its subfolders)."""
    out: list[Block] = []
    for path in sorted(directory.glob("*.tf")):
        out.extend(parse_body(list(tokens(path.read_text())))[0].blocks)
    return out


def _split(toks: list[str], separators: tuple[str, ...]) -> list[list[str]]:
    """`toks` split at `separators` at bracket depth 0 (line ends inside a part dropped at its ends)."""
    parts: list[list[str]] = [[]]
    depth = 0
    for t in toks:
        if t in separators and depth == 0:
            parts.append([])
            continue
        depth += 1 if t in OPEN else -1 if t in CLOSE else 0
        parts[-1].append(t)
    return [_strip(p) for p in parts if _strip(p)]


def _strip(toks: list[str]) -> list[str]:
    """`toks` without line ends at either end."""
    start, end = 0, len(toks)
    while start < end and toks[start] == "\n":
        start += 1
    while end > start and toks[end - 1] == "\n":
        end -= 1
    return toks[start:end]


def object_items(toks: list[str]) -> dict[str, list[str]]:
    """The `key = value` items of an object literal `{ ... }` (keys bare or quoted; items end at a comma
    or a line end at depth 0)."""
    items: dict[str, list[str]] = {}
    for item in _split(toks[1:-1], (",", "\n")):
        if len(item) < 3 or item[1] not in ("=", ":"):
            raise UnreadableEnvironment(f"object item without a key: {' '.join(item)}")
        items[item[0].strip('"')] = item[2:]
    return items


def env_keys(
    toks: list[str], locals_: dict[str, list[str]], caller: Callable[[], frozenset[str]] | None = None
) -> frozenset[str]:
    """The keys of the map expression `toks`. `caller` answers `var.environment` (inside a module)."""
    toks = _strip(toks)
    text = " ".join(t for t in toks if t != "\n")
    if toks and toks[0] == "{" and toks[-1] == "}":
        return frozenset(object_items(toks))
    if toks[:2] == ["merge", "("] and toks[-1] == ")":
        keys: frozenset[str] = frozenset()
        for arg in _split(toks[2:-1], (",",)):
            keys |= env_keys(arg, locals_, caller)
        return keys
    if len(toks) >= 3 and toks[0] == "local" and toks[1] == ".":
        name = toks[2]
        if name not in locals_:
            raise UnreadableEnvironment(f"unknown local {name!r} in {text}")
        value = locals_[name]
        rest = toks[3:]
        while rest[:1] == ["."] and len(rest) >= 2:  # local.NAME.attr: an item of an object local
            items = object_items(value) if value[:1] == ["{"] else None
            if items is None or rest[1] not in items:
                raise UnreadableEnvironment(f"cannot read {text}")
            value, rest = items[rest[1]], rest[2:]
        if rest:
            raise UnreadableEnvironment(f"cannot read {text}")
        return env_keys(value, locals_, caller)
    if toks == ["var", ".", "environment"] and caller is not None:
        return caller()
    raise UnreadableEnvironment(f"an environment map of unknown form: {text}")


def locals_of(blocks: list[Block]) -> dict[str, list[str]]:
    """Every `locals { ... }` attribute of `blocks`."""
    out: dict[str, list[str]] = {}
    for block in blocks:
        if block.kind == "locals":
            out.update(block.attributes)
    return out


def _literal(toks: list[str] | None) -> str | None:
    if toks and len(toks) == 1 and toks[0].startswith('"') and "${" not in toks[0]:
        return toks[0][1:-1]
    return None


def platform_variables(module_dir: Path) -> frozenset[str]:
    """Variables a function module sets itself on every function (`variables = merge({...}, var.environment)`
    of its aws_lambda_function), following modules it nests."""
    blocks = read_dir(module_dir)
    found: frozenset[str] = frozenset()

    def walk(block: Block) -> None:
        nonlocal found
        if "variables" in block.attributes:
            found |= env_keys(block.attributes["variables"], locals_of(blocks), caller=frozenset)
        for child in block.blocks:
            walk(child)

    for block in blocks:
        walk(block)
        source = _literal(block.attributes.get("source")) if block.kind == "module" else None
        if source and source.startswith("."):
            found |= platform_variables((module_dir / source).resolve())
    return found


@dataclass(frozen=True)
class FunctionEnv:
    module: str  # the Terraform module name, e.g. fn_store_day
    function: str  # its `name`, the folder under functions/
    given: frozenset[str]  # the keys of its `environment` argument
    platform: frozenset[str]  # set by the function module on every function


def function_environments(tf_dir: Path, functions: set[str]) -> list[FunctionEnv]:
    """Every root module block whose `name` is a folder under functions/, with its environment's keys."""
    blocks = read_dir(tf_dir)
    locals_ = locals_of(blocks)
    out = []
    for block in blocks:
        if block.kind != "module":
            continue
        name = _literal(block.attributes.get("name"))
        if name not in functions:
            continue
        source = _literal(block.attributes.get("source")) or ""
        if not source.endswith("/modules/function"):
            continue  # e.g. a state machine named after the function it drives (sfn_reconcile)
        given = (
            env_keys(block.attributes["environment"], locals_)
            if "environment" in block.attributes
            else frozenset()
        )
        out.append(FunctionEnv(block.labels[0], name, given, platform_variables(tf_dir / source)))
    return out
