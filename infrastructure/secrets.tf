# The provider API key. Terraform creates only the secret's container: the value is put by the operator
# (`aws secretsmanager put-secret-value`, or the local stack), so the key never enters Terraform state.
resource "aws_secretsmanager_secret" "provider_api_key" {
  name                    = "${local.name_prefix}/provider-api-key"
  description             = "API key of the market-data provider (${var.market_provider}). Value set out of band."
  recovery_window_in_days = var.environment == "local" ? 0 : 7
}
