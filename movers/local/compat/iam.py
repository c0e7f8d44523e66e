"""IAM policy evaluation.

Part of :mod:`movers.local.compat` (see its docstring); each fix is tested in ``tests/local``.
"""

from __future__ import annotations

from typing import Any


def fix_policy_condition_on_missing_key_is_not_applicable() -> None:
    """A policy statement conditioned on a key the request does not carry does not apply (AWS's rule).

    In AWS a condition operator on a key absent from the request context evaluates to false (only
    `...IfExists` operators and `Null` say otherwise), so the statement is not applicable. moto does not
    model request context keys such as `aws:SecureTransport` and evaluates such conditions as matching, so
    the standard TLS-only statement (`Deny` when `aws:SecureTransport` is `false`) on our frontend bucket
    denies every request, Terraform's own reads included. Treating the statement as not applicable is what
    AWS decides for our callers, who all use HTTPS there.
    """
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    original = IAMPolicyStatement.is_action_permitted

    def applies(condition: dict[str, Any], known: dict[str, str]) -> bool:
        for operator, pairs in condition.items():
            if operator.endswith("IfExists") or operator == "Null":
                continue
            if any(key not in known for key in pairs):
                return False
        return True

    def is_action_permitted(
        self: Any,
        action: str,
        resource: str = "*",
        principal: str | None = None,
        incoming_condition_values: dict[str, str] | None = None,
    ) -> Any:
        condition = self._statement.get("Condition")
        if condition and not applies(condition, incoming_condition_values or {}):
            return PermissionResult.NEUTRAL
        return original(self, action, resource, principal, incoming_condition_values)

    IAMPolicyStatement.is_action_permitted = is_action_permitted  # type: ignore[method-assign]
