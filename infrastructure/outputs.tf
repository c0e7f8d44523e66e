# Every output of this root module is declared here and only here (inputs only in variables.tf); see the
# comment at the top of variables.tf. General outputs first, then one section per concern.

# -------------------- general

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

output "failover_api_key_secret_arns" {
  description = "Secrets Manager secrets of the failover providers' API keys, in failover_providers' order (values set out of band)."
  value       = aws_secretsmanager_secret.failover_api_key[*].arn
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

# -------------------- daily schedules (schedule.tf)

output "daily_schedule_name" {
  description = "EventBridge Scheduler schedule that starts the daily run (`movers schedule fire` runs it locally)."
  value       = module.daily_schedule.name
}

output "market_schedule_name" {
  description = "EventBridge Scheduler schedule that starts the whole-market run daily-market-<date> (`movers schedule fire --market` runs it locally); null unless market_schedule_enabled."
  value       = var.market_schedule_enabled ? module.market_schedule[0].name : null
}

# -------------------- daily analysis (analysis.tf)

output "analysis_catchup_schedule_name" {
  description = "EventBridge Scheduler schedule of the analysis catch-up (`movers schedule fire --catchup` runs it locally)."
  value       = module.analysis_catchup_schedule.name
}

# -------------------- read API (api.tf)

output "api_url" {
  description = "Base URL of the read API (the v1 stage), e.g. https://abc.execute-api.us-east-1.amazonaws.com/v1."
  value       = aws_api_gateway_stage.v1.invoke_url
}

output "api_function_name" {
  description = "Name of the API Lambda function."
  value       = module.fn_api.function_name
}

output "api_function_alias_arn" {
  description = "The API function's `live` alias: what the REST integration (and the local API gateway) invokes."
  value       = module.fn_api.alias_arn
}

# -------------------- page (frontend.tf)

output "frontend_url" {
  description = "URL of the page: the CloudFront domain (https), the S3 website endpoint (http), or empty when frontend_hosting = none."
  value = (
    local.frontend_cloudfront ? "https://${aws_cloudfront_distribution.frontend[0].domain_name}" :
    local.frontend_website ? "http://${aws_s3_bucket_website_configuration.frontend[0].website_endpoint}" : ""
  )
}

output "frontend_bucket" {
  description = "Bucket holding the page's files (empty when frontend_hosting = none)."
  value       = local.frontend_enabled ? module.frontend_bucket[0].id : ""
}

# -------------------- observability (alarms.tf, dashboard.tf, staleness.tf)

output "dashboard_metric_count" {
  description = "Metrics on the dashboard (CloudWatch's free tier: 3 dashboards of up to 50 metrics)."
  value       = local.dashboard_metric_count
}

output "alarm_metric_count" {
  description = "Alarm metrics this deployment is billed for (CloudWatch's free tier covers 10 per account)."
  value       = local.alarm_metric_count
}

output "alert_topic_arn" {
  description = "SNS topic that receives every alarm and every failed, timed-out or aborted execution."
  value       = aws_sns_topic.alerts.arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the stack."
  value       = aws_cloudwatch_dashboard.main.dashboard_name
}

output "staleness_function_name" {
  description = "Name of the staleness-check function (invoke it for a drill)."
  value       = module.fn_staleness_check.function_name
}

output "reconcile_function_name" {
  description = "Name of the next-day reconcile function (the steps of the reconcile state machine)."
  value       = module.fn_reconcile.function_name
}

output "reconcile_state_machine_arn" {
  description = "ARN of the next-day reconcile state machine (input {through?, sessions?, reason?}; `movers reconcile` starts it)."
  value       = module.sfn_reconcile.arn
}

# -------------------- failure capture and audit trail (audit.tf)

output "dead_letter_queue_url" {
  description = "SQS queue holding the events of failed, timed-out and aborted executions (14 days)."
  value       = aws_sqs_queue.execution_dlq.id
}

output "market_data_bus_name" {
  description = "The custom EventBridge bus where an outside system publishes daily bars (docs/push-feed.md)."
  value       = aws_cloudwatch_event_bus.market_data.name
}

output "market_data_dlq_url" {
  description = "SQS queue holding the market-data bus's refused or unprocessed events (14 days)."
  value       = aws_sqs_queue.market_data_dlq.id
}

output "push_function_name" {
  description = "The market-data bus's processor and the push run's collect step."
  value       = module.fn_push_bars.function_name
}

output "audit_function_name" {
  description = "Name of the function that writes audit records (pk=AUDIT#<YYYY-MM-DD> in the main table)."
  value       = module.fn_audit_record.function_name
}

# -------------------- releases (releases.tf)

output "release_ledger_key" {
  description = "Key, in the data bucket, of the release ledger (its object versions are the release history)."
  value       = aws_s3_object.release_ledger.key
}

output "release_aliases" {
  description = "The `live` alias ARN of every function and state machine, by short name."
  value = merge(
    { for short, fn in local.release_functions : short => fn.alias_arn },
    { for short, sm in local.release_state_machines : "${short}_state_machine" => sm.alias_arn },
  )
}

# -------------------- SQL over the curated zone (query.tf)

output "query_database" {
  description = "Glue Data Catalog database of the curated zone's tables (Athena's database for `movers query`)."
  value       = aws_glue_catalog_database.curated.name
}

output "query_tables" {
  description = "The curated zone's Glue tables by name, each with its S3 location."
  value       = { for name, table in aws_glue_catalog_table.curated : name => table.storage_descriptor[0].location }
}

output "query_workgroup" {
  description = "Athena workgroup for SQL over the curated zone (enforced results location, encryption and scan limit)."
  value       = aws_athena_workgroup.query.name
}

output "query_results_bucket" {
  description = "S3 bucket of the workgroup's query results (expire after query_results_days)."
  value       = module.query_results_bucket.bucket
}

output "query_policy_arn" {
  description = "IAM policy to attach to a user or role that queries the curated zone (least privilege)."
  value       = aws_iam_policy.query.arn
}
