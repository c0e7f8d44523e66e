locals {
  name_prefix = "${var.project}-${var.environment}"
  dist_dir    = startswith(var.dist_dir, "/") ? var.dist_dir : abspath("${path.module}/${var.dist_dir}")

  tags = merge({
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
  }, var.tags)

  fn_common = {
    runtime            = "python3.12"
    architecture       = var.lambda_architecture
    log_retention_days = var.log_retention_days
    tracing_enabled    = var.tracing_enabled
    log_level          = var.log_level
    tags               = local.tags
    # where each function's zip is uploaded for CreateFunction/UpdateFunctionCode (modules/function)
    artifact_bucket = module.data_bucket.id
  }
}

data "aws_caller_identity" "current" {
  count = local.is_local ? 0 : 1
}

locals {
  # Locally there is no account lookup (skip_requesting_account_id); moto's default account is used.
  account_id = local.is_local ? "123456789012" : data.aws_caller_identity.current[0].account_id
}
