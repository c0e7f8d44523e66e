output "name_prefix" {
  description = "Prefix of every resource name."
  value       = local.name_prefix
}

output "ingest_state_machine_arn" {
  description = "ARN of the ingest state machine (daily runs, `daily-<date>` executions)."
  value       = aws_sfn_state_machine.ingest.arn
}

output "table_name" {
  description = "Main DynamoDB table (winners, per-ticker days, analysis)."
  value       = aws_dynamodb_table.main.name
}

output "control_table_name" {
  description = "DynamoDB table for transient records (rate limiter, idempotency)."
  value       = aws_dynamodb_table.control.name
}

output "bucket_name" {
  description = "S3 bucket for raw provider bodies and curated Parquet."
  value       = aws_s3_bucket.data.bucket
}

output "api_key_secret_arn" {
  description = "Secrets Manager secret whose value is the provider API key (set out of band)."
  value       = aws_secretsmanager_secret.provider_api_key.arn
}

output "function_names" {
  description = "Deployed Lambda function names by short name."
  value = {
    validate_input = module.fn_validate_input.function_name
    fetch_bars     = module.fn_fetch_bars.function_name
    pick_winner    = module.fn_pick_winner.function_name
    store_day      = module.fn_store_day.function_name
  }
}
