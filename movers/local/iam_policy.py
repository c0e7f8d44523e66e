"""IAM policy evaluation for the local AWS, as AWS documents it (pure: no moto, no I/O).

One request is decided from the identity policies of its principal (inline and managed, of a role) and the
resource-based policy of its resource (bucket policy, Lambda function policy, topic or queue policy):

1. an explicit ``Deny`` in any of them that matches -> denied (it wins over every Allow);
2. else an ``Allow`` in an identity policy, or an ``Allow`` in the resource policy naming the principal
   (same account, so either one suffices) -> allowed;
3. else denied (implicit deny).

A statement matches when its ``Action``/``NotAction``, ``Resource``/``NotResource``, ``Principal``/
``NotPrincipal`` (resource policies only) and every ``Condition`` match. Wildcards ``*`` and ``?`` work as in
IAM (actions case-insensitively). Condition operators: ``String{Equals,NotEquals,EqualsIgnoreCase,Like,
NotLike}``, ``Arn{Equals,Like,NotEquals,NotLike}``, ``Bool``, ``Null``, ``Numeric*``, each with
``...IfExists``, and the ``ForAnyValue:``/``ForAllValues:`` set prefixes. A key the request does not carry
makes the operator false (``...IfExists`` true, ``Null`` as documented). An operator this module does not know
raises :class:`PolicyError`, which the caller treats as a deny: a policy is never half-understood.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Effect = Literal["allow", "explicit-deny", "implicit-deny"]


class PolicyError(ValueError):
    """A policy element this evaluator does not understand (e.g. an unknown condition operator)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: an IAM role session (``arn`` = the role ARN) or an AWS service (``service``)."""

    arn: str = ""
    service: str = ""
    account: str = ""

    @property
    def label(self) -> str:
        return self.arn or self.service


@dataclass(frozen=True)
class Request:
    """One authorization question: may ``principal`` do ``action`` (``service:Action``) on ``resource``?"""

    principal: Principal
    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)  # condition keys, any case


@dataclass(frozen=True)
class Policy:
    """A named policy document (a role's inline policy, a managed policy, a resource policy)."""

    name: str
    document: Mapping[str, Any]

    @classmethod
    def parse(cls, name: str, text: str | Mapping[str, Any]) -> Policy:
        doc = json.loads(text) if isinstance(text, str) else text
        if not isinstance(doc, Mapping):
            raise PolicyError(f"policy {name}: not a JSON object")
        return cls(name, doc)

    def statements(self) -> list[Mapping[str, Any]]:
        raw = self.document.get("Statement", [])
        return [raw] if isinstance(raw, Mapping) else list(raw)


@dataclass(frozen=True)
class Decision:
    effect: Effect
    statement: str = ""  # "policy-name#sid-or-index" of the deciding statement ("" for implicit deny)

    @property
    def allowed(self) -> bool:
        return self.effect == "allow"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _wildcard(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM wildcards: ``*`` any run of characters (also across ``:`` and ``/``), ``?`` one character."""
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def action_matches(pattern: str, action: str) -> bool:
    return _wildcard(pattern, action, ignore_case=True)


def resource_matches(pattern: str, resource: str) -> bool:
    return _wildcard(pattern, resource)


def _arn_matches(pattern: str, value: str) -> bool:
    """ArnLike: each of the six colon-separated parts matched on its own (wildcards per part)."""
    p_parts, v_parts = pattern.split(":", 5), value.split(":", 5)
    if len(p_parts) != 6 or len(v_parts) != 6:
        return False
    return all(_wildcard(p, v) for p, v in zip(p_parts, v_parts, strict=True))


def _bool(value: Any) -> str:
    return str(value).lower()


def _num(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# Single-value comparisons: (policy value, request value) -> bool.
_COMPARE = {
    "StringEquals": lambda p, v: str(p) == str(v),
    "StringNotEquals": lambda p, v: str(p) != str(v),
    "StringEqualsIgnoreCase": lambda p, v: str(p).lower() == str(v).lower(),
    "StringNotEqualsIgnoreCase": lambda p, v: str(p).lower() != str(v).lower(),
    "StringLike": lambda p, v: _wildcard(str(p), str(v)),
    "StringNotLike": lambda p, v: not _wildcard(str(p), str(v)),
    "ArnEquals": lambda p, v: _arn_matches(str(p), str(v)),
    "ArnLike": lambda p, v: _arn_matches(str(p), str(v)),
    "ArnNotEquals": lambda p, v: not _arn_matches(str(p), str(v)),
    "ArnNotLike": lambda p, v: not _arn_matches(str(p), str(v)),
    "Bool": lambda p, v: _bool(p) == _bool(v),
    "NumericEquals": lambda p, v: _num(p) is not None and _num(p) == _num(v),
    "NumericNotEquals": lambda p, v: _num(p) is not None and _num(p) != _num(v),
    "NumericLessThan": lambda p, v: None not in (_num(p), _num(v)) and _num(v) < _num(p),  # type: ignore[operator]
    "NumericLessThanEquals": lambda p, v: None not in (_num(p), _num(v)) and _num(v) <= _num(p),  # type: ignore[operator]
    "NumericGreaterThan": lambda p, v: None not in (_num(p), _num(v)) and _num(v) > _num(p),  # type: ignore[operator]
    "NumericGreaterThanEquals": lambda p, v: None not in (_num(p), _num(v)) and _num(v) >= _num(p),  # type: ignore[operator]
}
# "Not" operators: the request value must match none of the policy values (AND), the others any (OR).
_NEGATED = {name for name in _COMPARE if "Not" in name}


def _lookup(context: Mapping[str, Any], key: str) -> list[Any] | None:
    lowered = {k.lower(): v for k, v in context.items()}
    if key.lower() not in lowered:
        return None
    return _as_list(lowered[key.lower()])


def condition_matches(condition: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    """True when every operator block of a statement's ``Condition`` holds for the request context."""
    for raw_operator, pairs in condition.items():
        if not isinstance(pairs, Mapping):
            raise PolicyError(f"condition {raw_operator}: expected an object of key -> values")
        set_op, _, operator = raw_operator.rpartition(":")
        if set_op not in ("", "ForAnyValue", "ForAllValues"):
            raise PolicyError(f"unknown condition set operator {set_op!r}")
        if_exists = operator.endswith("IfExists")
        base = operator.removesuffix("IfExists")
        for key, policy_values in pairs.items():
            wanted = _as_list(policy_values)
            present = _lookup(context, key)
            if base == "Null":
                # Null: true means "the key is absent", false "the key is present".
                if any(_bool(w) == "true" for w in wanted) != (present is None):
                    return False
                continue
            if base not in _COMPARE:
                raise PolicyError(f"unsupported condition operator {raw_operator!r}")
            if present is None:
                if if_exists or set_op == "ForAllValues":
                    continue
                return False
            compare = _COMPARE[base]

            def one(value: Any, compare: Any = compare, base: str = base, wanted: list[Any] = wanted) -> bool:
                if base in _NEGATED:
                    return all(compare(w, value) for w in wanted)
                return any(compare(w, value) for w in wanted)

            # single-valued keys and ForAnyValue: any request value matching is enough
            ok = all(one(v) for v in present) if set_op == "ForAllValues" else any(one(v) for v in present)
            if not ok:
                return False
    return True


def _principal_matches(element: Any, principal: Principal) -> bool:
    if element == "*":
        return True
    if not isinstance(element, Mapping):
        raise PolicyError(f"unsupported Principal element {element!r}")
    for kind, values in element.items():
        for value in _as_list(values):
            if kind == "AWS":
                if value == "*" or (principal.arn and value == principal.arn):
                    return True
                # the account (root ARN or bare id) names every principal of that account
                if (
                    principal.arn
                    and principal.account
                    and value
                    in (
                        principal.account,
                        f"arn:aws:iam::{principal.account}:root",
                    )
                ):
                    return True
            elif kind == "Service" and principal.service and value == principal.service:
                return True
    return False


def statement_matches(statement: Mapping[str, Any], request: Request, resource_policy: bool) -> bool:
    """Whether one statement applies to the request (Effect aside)."""
    if "Action" in statement:
        if not any(action_matches(p, request.action) for p in _as_list(statement["Action"])):
            return False
    elif "NotAction" in statement:
        if any(action_matches(p, request.action) for p in _as_list(statement["NotAction"])):
            return False
    else:
        raise PolicyError("a statement needs Action or NotAction")
    if "Resource" in statement:
        if not any(resource_matches(p, request.resource) for p in _as_list(statement["Resource"])):
            return False
    elif "NotResource" in statement:
        if any(resource_matches(p, request.resource) for p in _as_list(statement["NotResource"])):
            return False
    elif not resource_policy:  # a resource policy may omit Resource (Lambda's statements carry it, others)
        raise PolicyError("an identity policy statement needs Resource or NotResource")
    if resource_policy:
        if "Principal" in statement:
            if not _principal_matches(statement["Principal"], request.principal):
                return False
        elif "NotPrincipal" in statement:
            if _principal_matches(statement["NotPrincipal"], request.principal):
                return False
        else:
            raise PolicyError("a resource policy statement needs Principal or NotPrincipal")
    condition = statement.get("Condition")
    return not condition or condition_matches(condition, request.context)


def _label(policy: Policy, index: int, statement: Mapping[str, Any]) -> str:
    return f"{policy.name}#{statement.get('Sid') or index}"


def evaluate(identity: Sequence[Policy], resource: Policy | None, request: Request) -> Decision:
    """AWS's same-account evaluation (see the module docstring); raises :class:`PolicyError` on a policy
    element it cannot evaluate."""
    allow = ""
    sources: Iterable[tuple[Policy, bool]] = [(p, False) for p in identity]
    if resource is not None:
        sources = [*sources, (resource, True)]
    for policy, is_resource in sources:
        for i, statement in enumerate(policy.statements()):
            if not statement_matches(statement, request, is_resource):
                continue
            effect = statement.get("Effect")
            if effect == "Deny":
                return Decision("explicit-deny", _label(policy, i, statement))
            if effect == "Allow":
                allow = allow or _label(policy, i, statement)
            else:
                raise PolicyError(f"statement Effect must be Allow or Deny, got {effect!r}")
    return Decision("allow", allow) if allow else Decision("implicit-deny")


def matches_any_pattern(patterns: Iterable[str], value: str, *, action: bool) -> bool:
    """Helper for reports: whether ``value`` matches any IAM pattern (actions case-insensitively)."""
    test = action_matches if action else resource_matches
    return any(test(p, value) for p in patterns)


__all__ = [
    "Decision",
    "Policy",
    "PolicyError",
    "Principal",
    "Request",
    "condition_matches",
    "evaluate",
    "fnmatch",
]
