# Plan-time assertions on the operations and data-protection settings, with the AWS provider mocked (no
# credentials, no network). Run by `terraform test` (tests/infrastructure/test_terraform.py).
#
# Runs are targeted (plan_options.target) at the resources their assertions read, to keep `terraform test`
# fast: a targeted plan walks only those and what they depend on (measured: 1.5 to 2.5 s a run against 3.5 to
# 5 s; every run still validates the whole configuration first). An assertion on a resource, data source or
# local no target reaches fails loudly, never passes: Terraform (1.11) reports an unknown condition value or
# crashes (a value requested before it was provided). A variable's validation runs only when a targeted
# resource reads the variable, so a run expecting one targets a reader of it (without one the run fails:
# missing expected failure). Left untargeted, each saying why: the first run (the whole configuration planned
# with mocks), the runs asserting on module outputs no other value reads (unknown in a targeted plan), and
# allowed_account_ids' refusal.

mock_provider "aws" {
  # Mocked values must still pass the provider's validation: policy documents are JSON, ARNs look like ARNs.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
}

variables {
  environment         = "dev"
  allowed_account_ids = ["123456789012"]
}

run "names_derive_from_the_prefix" {
  # Untargeted on purpose: the whole configuration is planned with the mocks here, so a resource that no
  # longer plans fails the suite even when no targeted run reaches it.
  command = plan

  assert {
    condition     = aws_dynamodb_table.main.name == "stock-movers-dev-movers" && aws_sqs_queue.execution_dlq.name == "stock-movers-dev-failed-executions"
    error_message = "resource names must derive from name_prefix (project-environment)"
  }
  assert {
    condition     = alltrue([for name in values(local.observed_functions) : startswith(name, "stock-movers-dev-")])
    error_message = "every observed function name must start with the name prefix"
  }
}

run "data_protection_is_on" {
  command = plan
  plan_options {
    target = [aws_dynamodb_table.main, aws_dynamodb_table.control, aws_s3_bucket_inventory.data]
  }

  assert {
    condition     = aws_dynamodb_table.main.point_in_time_recovery[0].enabled && aws_dynamodb_table.control.point_in_time_recovery[0].enabled
    error_message = "PITR must be on for both tables"
  }
  assert {
    condition     = aws_dynamodb_table.main.deletion_protection_enabled
    error_message = "the main table must have deletion protection outside the local environment"
  }
  assert {
    condition     = length(aws_dynamodb_table.main.ttl) == 0 || !try(aws_dynamodb_table.main.ttl[0].enabled, false)
    error_message = "the main table holds kept records (winners, audit): no TTL there"
  }
  assert {
    condition     = aws_dynamodb_table.control.ttl[0].enabled
    error_message = "the control table's transient records must expire (TTL)"
  }
  # The data bucket's own defaults (versioned, encrypted, private, TLS only) are the private_bucket module's,
  # asserted in modules.tftest.hcl.
  assert {
    condition     = aws_s3_bucket_inventory.data.schedule[0].frequency == "Weekly"
    error_message = "the data bucket needs its inventory"
  }
}

run "failures_are_captured_and_alarmed" {
  # Untargeted: module.staleness_schedule's timezone and expression outputs are read by nothing else, so a
  # targeted plan leaves them unknown.
  command = plan

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.execution_failed.event_pattern).detail.status == ["FAILED", "TIMED_OUT", "ABORTED"]
    error_message = "the failure rule must match failed, timed-out and aborted executions"
  }
  assert {
    condition     = aws_sqs_queue.execution_dlq.message_retention_seconds == 1209600 && aws_sqs_queue.execution_dlq.sqs_managed_sse_enabled
    error_message = "the dead-letter queue keeps messages 14 days, encrypted"
  }
  assert {
    condition     = alltrue([for k in ["lambda-errors", "lambda-throttles", "api-5xx"] : contains(keys(aws_cloudwatch_metric_alarm.count_above_zero), k)]) && alltrue([for k in keys(local.observed_state_machines) : contains(keys(aws_cloudwatch_metric_alarm.count_above_zero), "${k}-executions-failed")])
    error_message = "every function (through the account-wide Lambda errors and throttles) and every state machine needs its alarm"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.count_above_zero["lambda-errors"].dimensions == null && aws_cloudwatch_metric_alarm.count_above_zero["lambda-throttles"].dimensions == null
    error_message = "the Lambda errors and throttles alarms read the region-wide aggregate (no dimension), so no function goes unwatched"
  }
  assert {
    condition     = local.alarm_metric_count <= 10
    error_message = "the default deployment's alarms must fit CloudWatch's free tier of 10 alarm metrics"
  }
  assert {
    condition     = local.dashboard_metric_count <= 50
    error_message = "the dashboard must fit CloudWatch's free tier (up to 50 metrics), or it is billed"
  }
  assert {
    condition     = module.staleness_schedule.timezone == "America/New_York" && module.staleness_schedule.schedule_expression == "cron(0 19 ? * MON-FRI *)"
    error_message = "the staleness check runs on weekdays at the configured New York hour"
  }
}

run "detailed_alarms_name_every_function_and_table" {
  command = plan
  plan_options {
    target = [aws_cloudwatch_metric_alarm.count_above_zero, aws_cloudwatch_metric_alarm.dynamodb_throttles]
  }

  variables {
    detailed_alarms = true
  }

  assert {
    condition     = alltrue([for k in keys(local.observed_functions) : contains(keys(aws_cloudwatch_metric_alarm.count_above_zero), "${k}-errors") && contains(keys(aws_cloudwatch_metric_alarm.count_above_zero), "${k}-throttles")]) && length(aws_cloudwatch_metric_alarm.dynamodb_throttles) == 2
    error_message = "detailed_alarms adds an errors and a throttles alarm per function and a throttle alarm per table"
  }
}

run "local_environment_can_be_torn_down" {
  command = plan
  plan_options {
    target = [aws_dynamodb_table.main]
  }

  variables {
    environment    = "local"
    local_endpoint = "http://127.0.0.1:4566"
  }

  assert {
    condition     = !aws_dynamodb_table.main.deletion_protection_enabled
    error_message = "local stacks are disposable: no deletion protection"
  }
}

run "the_api_answers_head_and_every_gateway_error_in_the_error_shape" {
  command = plan
  plan_options {
    target = [aws_api_gateway_rest_api.api]
  }

  assert {
    condition     = alltrue([for path, ops in local.api_paths : contains(keys(ops), "head") if contains(keys(ops), "get")])
    error_message = "every GET route of the API needs its HEAD method (built from docs/openapi.json)"
  }
  assert {
    condition     = local.api_gateway_responses.MISSING_AUTHENTICATION_TOKEN.statusCode == "404" && jsondecode(local.api_gateway_responses.MISSING_AUTHENTICATION_TOKEN.responseTemplates["application/json"]).error == "NotFound"
    error_message = "an unknown path must be a 404 with the {error, message} body"
  }
  assert {
    condition     = strcontains(local.api_gateway_responses.DEFAULT_4XX.responseTemplates["application/json"], "{\"error\":")
    error_message = "API Gateway's own 4xx answers must use the {error, message} body"
  }
}

run "the_schedule_and_alarm_notifications_switch_off" {
  # Untargeted: the schedule modules' state/input/expression outputs are read by nothing else, so a targeted
  # plan leaves them unknown.
  command = plan

  variables {
    schedule_enabled            = false
    alarm_notifications_enabled = false
  }

  assert {
    condition     = module.daily_schedule.state == "DISABLED"
    error_message = "schedule_enabled = false must keep the schedule DISABLED"
  }
  assert {
    condition     = length(local.alarm_actions) == 0
    error_message = "alarm_notifications_enabled = false must leave every alarm without actions"
  }
}

run "notifications_and_schedule_are_on_by_default" {
  # Untargeted: the schedule modules' state/input/expression outputs are read by nothing else, so a targeted
  # plan leaves them unknown.
  command = plan

  assert {
    condition     = module.daily_schedule.state == "ENABLED" && length(local.alarm_actions) == 1
    error_message = "by default the schedule runs and alarms notify the alert topic"
  }
}

run "no_market_schedule_by_default" {
  command = plan
  plan_options {
    target = [module.market_schedule.aws_iam_role.this]
  }

  assert {
    condition     = length(module.market_schedule) == 0 && output.market_schedule_name == null
    error_message = "without market_schedule_enabled there is no whole-market schedule"
  }
}

run "the_market_schedule_runs_the_whole_market_each_trading_day" {
  # Untargeted: the schedule modules' state/input/expression outputs are read by nothing else, so a targeted
  # plan leaves them unknown.
  command = plan

  variables {
    market_schedule_enabled = true
  }

  assert {
    condition     = jsondecode(module.market_schedule[0].input) == { source = "schedule", scope = "market" } && jsondecode(module.daily_schedule.input) == { source = "schedule" }
    error_message = "the market schedule must send {\"source\": \"schedule\", \"scope\": \"market\"}; the daily one stays {\"source\": \"schedule\"}"
  }
  assert {
    condition     = module.market_schedule[0].schedule_expression == module.daily_schedule.schedule_expression && module.market_schedule[0].timezone == module.daily_schedule.timezone && module.market_schedule[0].state == "ENABLED"
    error_message = "the market schedule runs at the daily schedule's expression and time zone, ENABLED"
  }
  assert {
    condition     = module.market_schedule[0].name == "stock-movers-dev-daily-market" && output.market_schedule_name == "stock-movers-dev-daily-market"
    error_message = "the market schedule has its own name (output market_schedule_name)"
  }
}

run "the_market_schedule_pauses_with_schedule_enabled" {
  # Untargeted: the schedule modules' state/input/expression outputs are read by nothing else, so a targeted
  # plan leaves them unknown.
  command = plan

  variables {
    market_schedule_enabled = true
    schedule_enabled        = false
  }

  assert {
    condition     = module.market_schedule[0].state == "DISABLED" && module.daily_schedule.state == "DISABLED"
    error_message = "schedule_enabled = false keeps the market schedule DISABLED too"
  }
}

run "a_market_schedule_with_alphavantage_is_refused_at_plan_time" {
  command = plan
  plan_options {
    target = [module.market_schedule.aws_iam_role.this]
  }

  variables {
    market_provider         = "alphavantage"
    market_schedule_enabled = true
  }

  expect_failures = [var.market_schedule_enabled]
}

run "a_market_schedule_with_tiingo_is_refused_at_plan_time" {
  command = plan
  plan_options {
    target = [module.market_schedule.aws_iam_role.this]
  }

  variables {
    market_provider         = "tiingo"
    market_schedule_enabled = true
  }

  expect_failures = [var.market_schedule_enabled]
}

run "twelve_calls_fit_a_twelve_call_plan_without_the_market_run" {
  # The boundary of the next run: 6 daily + 6 reconcile calls fit a 12-call plan. Same target as the next
  # run, whose expected refusal shows that the target brings in provider_daily_calls' validation.
  command = plan
  plan_options {
    target = [module.fn_validate_input.aws_lambda_function.this]
  }

  variables {
    market_provider      = "massive"
    provider_daily_calls = 12
  }
}

run "the_market_run_counts_its_call_against_a_paid_quota" {
  # 6 tickers with massive on a 12-call plan: 6 daily + 6 reconcile = 12 fit; the market run's one more does not.
  command = plan
  plan_options {
    target = [module.fn_validate_input.aws_lambda_function.this]
  }

  variables {
    market_provider         = "massive"
    provider_daily_calls    = 12
    market_schedule_enabled = true
  }

  expect_failures = [var.provider_daily_calls]
}

run "staging_is_an_environment" {
  command = plan
  plan_options {
    target = [aws_dynamodb_table.main]
  }

  variables {
    environment = "staging"
  }

  assert {
    condition     = aws_dynamodb_table.main.name == "stock-movers-staging-movers" && aws_dynamodb_table.main.deletion_protection_enabled
    error_message = "staging is named by its prefix and protected like prod"
  }
}

run "an_environment_without_its_account_is_refused" {
  # Untargeted: only the provider block reads allowed_account_ids, and a targeted plan skips its validation.
  command = plan

  variables {
    allowed_account_ids = []
  }

  expect_failures = [var.allowed_account_ids]
}

run "a_strategy_the_provider_cannot_serve_is_refused_at_plan_time" {
  command = plan
  plan_options {
    target = [module.fn_validate_input.aws_lambda_function.this]
  }

  variables {
    market_provider = "tiingo"
    fetch_strategy  = "snapshot"
  }

  expect_failures = [var.fetch_strategy]
}

run "snapshot_with_alphavantage_is_refused_at_plan_time" {
  command = plan
  plan_options {
    target = [module.fn_validate_input.aws_lambda_function.this]
  }

  variables {
    market_provider = "alphavantage"
    fetch_strategy  = "snapshot"
  }

  expect_failures = [var.fetch_strategy]
}

run "snapshot_with_massive_plans" {
  # The one provider with a whole-market daily endpoint: the plan succeeds (no expect_failures). Same target
  # as the refusals above, which show that it brings in fetch_strategy's validation.
  command = plan
  plan_options {
    target = [module.fn_validate_input.aws_lambda_function.this]
  }

  variables {
    market_provider = "massive"
    fetch_strategy  = "snapshot"
  }
}

run "a_watchlist_beyond_the_free_alphavantage_quota_is_refused_at_plan_time" {
  # 13 tickers: 13 daily-run calls + 13 reconcile calls = 26 > Alpha Vantage's free 25 a day.
  command = plan
  plan_options {
    target = [module.fn_validate_input.aws_lambda_function.this]
  }

  variables {
    market_provider = "alphavantage"
    watchlist       = ["AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA", "META", "AMD", "INTC", "NFLX", "ORCL", "IBM", "CSCO"]
  }

  expect_failures = [var.provider_daily_calls]
}

run "twelve_tickers_fit_the_free_alphavantage_quota" {
  command = plan
  plan_options {
    target = [module.fn_validate_input.aws_lambda_function.this]
  }

  variables {
    market_provider = "alphavantage"
    watchlist       = ["AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA", "META", "AMD", "INTC", "NFLX", "ORCL", "IBM"]
  }

  assert {
    condition     = local.env_provider["PROVIDER_DAILY_CALLS"] == ""
    error_message = "without provider_daily_calls the functions use the adapter's free-plan figure (empty variable)"
  }
}

run "a_paid_plan_lifts_the_quota_and_tells_the_functions" {
  command = plan
  plan_options {
    target = [module.fn_validate_input.aws_lambda_function.this]
  }

  variables {
    market_provider      = "alphavantage"
    provider_daily_calls = 0
    watchlist            = ["AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA", "META", "AMD", "INTC", "NFLX", "ORCL", "IBM", "CSCO"]
  }

  assert {
    condition     = local.env_provider["PROVIDER_DAILY_CALLS"] == "0"
    error_message = "provider_daily_calls reaches the functions that check it (PROVIDER_DAILY_CALLS)"
  }
}

run "the_page_carries_the_data_licence_note_of_the_provider" {
  command = plan
  plan_options {
    target = [aws_s3_object.frontend_config]
  }

  assert {
    condition     = local.frontend_config.dataNote == "Market data from Massive, for display only under its terms; redistribution is not permitted."
    error_message = "by default the page's footer (config.js dataNote) carries Massive's data-licence note"
  }
}

run "the_licence_note_names_the_configured_provider" {
  command = plan
  plan_options {
    target = [aws_s3_object.frontend_config]
  }

  variables {
    market_provider = "tiingo"
  }

  assert {
    condition     = local.frontend_config.dataNote == "Market data from Tiingo, for display only; redistributing it needs a licence from Tiingo."
    error_message = "the licence note must name the configured provider"
  }
}

run "an_explicit_data_note_replaces_the_licence_note" {
  command = plan
  plan_options {
    target = [aws_s3_object.frontend_config]
  }

  variables {
    frontend_data_note = "SYNTHETIC data from the local market server: not real prices."
  }

  assert {
    condition     = local.frontend_config.dataNote == "SYNTHETIC data from the local market server: not real prices."
    error_message = "frontend_data_note (the local stack's SYNTHETIC note) replaces the licence note"
  }
}

run "a_board_size_beyond_the_leaders_route_is_refused" {
  command = plan
  plan_options {
    target = [module.fn_store_day.aws_lambda_function.this]
  }

  variables {
    board_size = 51
  }

  expect_failures = [var.board_size]
}

run "a_fractional_board_size_is_refused" {
  command = plan
  plan_options {
    target = [module.fn_store_day.aws_lambda_function.this]
  }

  variables {
    board_size = 2.5
  }

  expect_failures = [var.board_size]
}

run "a_negative_market_min_price_is_refused" {
  command = plan
  plan_options {
    target = [module.fn_pick_winner.aws_lambda_function.this]
  }

  variables {
    market_min_price = -1
  }

  expect_failures = [var.market_min_price]
}

run "a_fractional_market_min_volume_is_refused" {
  command = plan
  plan_options {
    target = [module.fn_pick_winner.aws_lambda_function.this]
  }

  variables {
    market_min_volume = 100.5
  }

  expect_failures = [var.market_min_volume]
}

run "service_roles_trust_only_this_account" {
  command = plan
  plan_options {
    target = [data.aws_iam_policy_document.events_assume, data.aws_iam_policy_document.apigw_assume]
  }

  assert {
    condition = anytrue([for c in data.aws_iam_policy_document.events_assume.statement[0].condition :
    c.test == "StringEquals" && c.variable == "aws:SourceAccount" && length(c.values) == 1 && contains(c.values, "123456789012")])
    error_message = "the EventBridge target role must trust only this account's rules (aws:SourceAccount)"
  }
  assert {
    # ...IfExists: AWS does not document that API Gateway sends the key for its account-wide logging role.
    condition = anytrue([for c in data.aws_iam_policy_document.apigw_assume.statement[0].condition :
    c.test == "StringEqualsIfExists" && c.variable == "aws:SourceAccount" && length(c.values) == 1 && contains(c.values, "123456789012")])
    error_message = "API Gateway's CloudWatch role must refuse requests from another account (aws:SourceAccount)"
  }
}

run "no_failover_by_default" {
  command = plan
  plan_options {
    target = [
      aws_secretsmanager_secret.failover_api_key,
      module.fn_fetch_bars.aws_lambda_function.this,     # local.env_failover (its environment)
      module.fn_fetch_bars.aws_iam_role_policy.this,     # local.failover_key_read (its policy)
      module.fn_validate_input.aws_lambda_function.this, # local.env_failover_names
    ]
  }

  assert {
    condition     = length(aws_secretsmanager_secret.failover_api_key) == 0 && length(local.failover_key_read) == 0 && local.env_failover_names.FAILOVER_PROVIDER_NAMES == "" && local.env_failover.FAILOVER_PROVIDERS == "[]"
    error_message = "without failover_providers there is no failover secret, grant or provider"
  }
}

run "each_failover_provider_has_its_own_secret_read_only_by_fetch_bars" {
  command = plan
  plan_options {
    target = [
      aws_secretsmanager_secret.failover_api_key,
      module.fn_fetch_bars.aws_lambda_function.this,     # local.env_failover (its environment)
      module.fn_fetch_bars.aws_iam_role_policy.this,     # local.failover_key_read (its policy)
      module.fn_validate_input.aws_lambda_function.this, # local.env_failover_names
    ]
  }

  variables {
    failover_providers = [
      { provider = "tiingo", rate_limit_calls = 50, rate_limit_period_seconds = 3600 },
      { provider = "massive", base_url = "https://backup.example" },
    ]
  }

  assert {
    condition     = [for s in aws_secretsmanager_secret.failover_api_key : s.name] == ["stock-movers-dev/provider-api-key-failover-1", "stock-movers-dev/provider-api-key-failover-2"]
    error_message = "each failover provider gets its own secret, in order, beside the primary's"
  }
  assert {
    # Terraform creates the containers only: no secret value (version) is ever in the configuration or state
    condition     = length(local.failover_key_read) == 1 && length(local.failover_key_read[0].resources) == 2 && local.failover_key_read[0].actions == ["secretsmanager:GetSecretValue"]
    error_message = "fetch_bars' role reads exactly the failover secrets, with GetSecretValue only"
  }
  assert {
    condition     = local.env_failover_names.FAILOVER_PROVIDER_NAMES == "tiingo,massive"
    error_message = "validate_input lists the failover providers by name, in order"
  }
}

run "an_unknown_failover_provider_is_refused_at_plan_time" {
  command = plan
  plan_options {
    target = [aws_secretsmanager_secret.failover_api_key]
  }

  variables {
    failover_providers = [{ provider = "yahoo" }]
  }

  expect_failures = [var.failover_providers]
}

run "more_than_three_failover_providers_are_refused" {
  command = plan
  plan_options {
    target = [aws_secretsmanager_secret.failover_api_key]
  }

  variables {
    failover_providers = [{ provider = "tiingo" }, { provider = "tiingo" }, { provider = "alphavantage" }, { provider = "massive" }]
  }

  expect_failures = [var.failover_providers]
}

run "a_failover_plan_must_allow_a_call" {
  command = plan
  plan_options {
    target = [aws_secretsmanager_secret.failover_api_key]
  }

  variables {
    failover_providers = [{ provider = "tiingo", rate_limit_calls = 0 }]
  }

  expect_failures = [var.failover_providers]
}

run "an_analysis_batch_size_out_of_range_is_refused" {
  command = plan
  plan_options {
    target = [module.fn_analysis_prepare.aws_lambda_function.this]
  }

  variables {
    analysis_batch_size = 101
  }

  expect_failures = [var.analysis_batch_size]
}

run "a_zero_or_fractional_analysis_batch_size_is_refused" {
  command = plan
  plan_options {
    target = [module.fn_analysis_prepare.aws_lambda_function.this]
  }

  variables {
    analysis_batch_size = 0.5
  }

  expect_failures = [var.analysis_batch_size]
}

run "the_analysis_batches_work_objects_expire" {
  command = plan
  plan_options {
    target = [aws_s3_bucket_lifecycle_configuration.data]
  }

  assert {
    condition = anytrue([for r in aws_s3_bucket_lifecycle_configuration.data.rule :
    try(r.id == "expire-analysis-work" && r.filter[0].prefix == "work/analysis/" && r.expiration[0].days == 30, false)])
    error_message = "the daily analysis's batch objects (work/analysis/) must expire like the ingest's work objects"
  }
}
