"""The provider API key from Secrets Manager, cached by Powertools Parameters for `max_age` seconds
(settings.ProviderAccess.api_key_cache_seconds, API_KEY_CACHE_SECONDS: a rotation takes effect within it)."""

from __future__ import annotations


class ApiKeyMissing(RuntimeError):
    """The secret has no usable value (set it with `aws secretsmanager put-secret-value`)."""


def api_key(secret_arn: str, max_age: int) -> str:
    # Imported on first use: Powertools Parameters imports boto3, which the first call needs anyway, so a cold
    # start does not pay for it before the handler runs.
    from aws_lambda_powertools.utilities import parameters

    try:
        value = parameters.get_secret(secret_arn, max_age=max_age)
    except parameters.exceptions.GetParameterError as exc:
        # The message names the secret, never its value.
        raise ApiKeyMissing(
            f"could not read the provider API key from {secret_arn}: {type(exc).__name__}"
        ) from None
    if not isinstance(value, str) or not value.strip():
        raise ApiKeyMissing(f"the provider API key secret {secret_arn} is empty")
    return value.strip()
