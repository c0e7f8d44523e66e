# The provider API key. Terraform creates only the secret's container: the value is put by the operator
# (`aws secretsmanager put-secret-value`, or the local stack), so the key never enters Terraform state.
resource "aws_secretsmanager_secret" "provider_api_key" {
  #checkov:skip=CKV2_AWS_57:a third-party provider key cannot be rotated by a Lambda; operators rotate it with put-secret-value (docs/operations.md#rotating-the-api-key)
  #checkov:skip=CKV_AWS_149:encrypted with the AWS managed key aws/secretsmanager; only the fetch function's role may read it
  name                    = "${local.name_prefix}/provider-api-key"
  description             = "API key of the market-data provider (${var.market_provider}). Value set out of band."
  recovery_window_in_days = var.environment == "local" ? 0 : 7
}
