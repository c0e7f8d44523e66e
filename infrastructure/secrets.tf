# The provider API key. Terraform creates only the secret's container: the value is put by the operator
# (`aws secretsmanager put-secret-value`, or the local stack), so the key never enters Terraform state.
resource "aws_secretsmanager_secret" "provider_api_key" {
  #checkov:skip=CKV2_AWS_57:a third-party provider key cannot be rotated by a Lambda; operators rotate it with put-secret-value (docs/operations.md#rotating-the-api-key)
  #checkov:skip=CKV_AWS_149:encrypted with the AWS managed key aws/secretsmanager; only the fetch function's role may read it
  name                    = "${local.name_prefix}/provider-api-key"
  description             = "API key of the market-data provider (${var.market_provider}). Value set out of band."
  recovery_window_in_days = var.environment == "local" ? 0 : 7
}

# One secret per failover provider (var.failover_providers, in order): its own key, never the primary's.
# Created empty like the primary's; only fetch_bars may read them (functions.tf).
resource "aws_secretsmanager_secret" "failover_api_key" {
  #checkov:skip=CKV2_AWS_57:a third-party provider key cannot be rotated by a Lambda; operators rotate it with put-secret-value (docs/operations.md#rotating-the-api-key)
  #checkov:skip=CKV_AWS_149:encrypted with the AWS managed key aws/secretsmanager; only the fetch function's role may read it
  count                   = length(var.failover_providers)
  name                    = "${local.name_prefix}/provider-api-key-failover-${count.index + 1}"
  description             = "API key of failover provider ${count.index + 1} (${var.failover_providers[count.index].provider}). Value set out of band."
  recovery_window_in_days = var.environment == "local" ? 0 : 7
}
