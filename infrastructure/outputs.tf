output "name_prefix" {
  description = "Prefix of every resource name."
  value       = local.name_prefix
}

output "ingest_state_machine_arn" {
  description = "ARN of the ingest state machine (daily runs, `daily-<date>` executions)."
  value       = module.sfn_ingest.arn
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
  value       = module.data_bucket.bucket
}

output "api_key_secret_arn" {
  description = "Secrets Manager secret whose value is the provider API key (set out of band)."
  value       = aws_secretsmanager_secret.provider_api_key.arn
}

output "function_names" {
  description = "Deployed Lambda function names by short name."
  value = {
    validate_input   = module.fn_validate_input.function_name
    fetch_bars       = module.fn_fetch_bars.function_name
    pick_winner      = module.fn_pick_winner.function_name
    store_day        = module.fn_store_day.function_name
    analysis_prepare = module.fn_analysis_prepare.function_name
    analysis_ticker  = module.fn_analysis_ticker.function_name
    analysis_store   = module.fn_analysis_store.function_name
    analysis_catchup = module.fn_analysis_catchup.function_name
    start_daily      = module.fn_start_daily.function_name
  }
}

output "daily_analysis_state_machine_arn" {
  description = "ARN of the daily-analysis state machine (started by MoverStored events, or by hand with {\"date\": ...})."
  value       = module.sfn_daily_analysis.arn
}

output "analysis_report_topic_arn" {
  description = "SNS topic receiving the plain-text daily analysis report."
  value       = aws_sns_topic.analysis_report.arn
}

output "backfill_state_machine_arn" {
  description = "ARN of the backfill state machine (input {from, to, tickers?, force?}; `backfill-<from>-<to>-<hash>` executions)."
  value       = module.sfn_backfill.arn
}

output "backfill_function_names" {
  description = "Deployed Lambda function names of the backfill by short name."
  value = {
    plan_backfill  = module.fn_plan_backfill.function_name
    fetch_range    = module.fn_fetch_range.function_name
    store_sessions = module.fn_store_sessions.function_name
  }
}
