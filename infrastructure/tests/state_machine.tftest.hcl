# The state machine module renders statemachines/*.asl.json (valid JSON, placeholders inside strings) into
# the deployed definition: every placeholder filled, numbers as JSON numbers. Plan only, AWS provider mocked.
# Run by `terraform test` (tests/infrastructure/test_terraform.py).

mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  account_id         = "123456789012"
  name_prefix        = "stock-movers-test"
  policy_statements  = []
  log_level          = "ALL"
  log_retention_days = 7
}

run "backfill_numbers_are_json_numbers" {
  command = plan
  module {
    source = "./modules/state_machine"
  }
  variables {
    name            = "backfill"
    definition_file = "../statemachines/backfill.asl.json"
    definition_vars = {
      plan_backfill_arn  = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-plan_backfill:live"
      fetch_range_arn    = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-fetch_range:live"
      store_sessions_arn = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-store_sessions:live"
      store_day_arn      = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-store_day:live"
    }
    definition_numbers = { max_concurrency = 7, store_concurrency = 3 }
  }

  # == compares types too: "7" (a string) is not 7.
  assert {
    condition     = jsondecode(output.definition).States["Fetch Ranges"].MaxConcurrency == 7 && jsondecode(output.definition).States["Store Sessions"].MaxConcurrency == 3
    error_message = "MaxConcurrency must render as a JSON number"
  }
  assert {
    condition     = jsondecode(output.definition).States["Fetch Ranges"].ItemProcessor.States["Fetch Range"].Parameters.FunctionName == "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-fetch_range:live"
    error_message = "string placeholders must render in place"
  }
  assert {
    condition     = !strcontains(output.definition, format("%s{", "$")) # format(): checkov's HCL parser misreads the escaped literal
    error_message = "every placeholder must be filled"
  }
}

run "daily_analysis_numbers_are_json_numbers" {
  command = plan
  module {
    source = "./modules/state_machine"
  }
  variables {
    name            = "daily-analysis"
    definition_file = "../statemachines/daily_analysis.asl.json"
    definition_vars = {
      prepare_arn      = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-analysis_prepare:live"
      ticker_arn       = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-analysis_ticker:live"
      store_arn        = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-analysis_store:live"
      report_topic_arn = "arn:aws:sns:us-east-1:123456789012:stock-movers-test-analysis-report"
      table_name       = "stock-movers-test-movers"
    }
    definition_numbers = { max_concurrency = 5 }
  }

  assert {
    condition     = jsondecode(output.definition).States["Analyse Tickers"].MaxConcurrency == 5
    error_message = "MaxConcurrency must render as a JSON number"
  }
  assert {
    condition     = !strcontains(output.definition, format("%s{", "$")) # format(): checkov's HCL parser misreads the escaped literal
    error_message = "every placeholder must be filled"
  }
}

run "the_role_is_trusted_only_by_this_accounts_state_machines" {
  command = plan
  module {
    source = "./modules/state_machine"
  }
  variables {
    name            = "backfill"
    definition_file = "../statemachines/backfill.asl.json"
    definition_vars = {
      plan_backfill_arn  = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-plan_backfill:live"
      fetch_range_arn    = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-fetch_range:live"
      store_sessions_arn = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-store_sessions:live"
      store_day_arn      = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-store_day:live"
    }
    definition_numbers = { max_concurrency = 1, store_concurrency = 1 }
  }

  assert {
    condition = anytrue([for c in data.aws_iam_policy_document.assume.statement[0].condition :
    c.test == "StringEquals" && c.variable == "aws:SourceAccount" && length(c.values) == 1 && contains(c.values, "123456789012")])
    error_message = "the state machine role must trust only this account's state machines (aws:SourceAccount)"
  }
  assert {
    condition     = one(data.aws_iam_policy_document.assume.statement[0].principals).identifiers == toset(["states.amazonaws.com"])
    error_message = "only Step Functions may assume the role"
  }
}

run "an_account_id_that_is_not_12_digits_is_refused" {
  command = plan
  module {
    source = "./modules/state_machine"
  }
  variables {
    account_id      = "12345"
    name            = "backfill"
    definition_file = "../statemachines/backfill.asl.json"
    definition_vars = {
      plan_backfill_arn  = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-plan_backfill:live"
      fetch_range_arn    = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-fetch_range:live"
      store_sessions_arn = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-store_sessions:live"
      store_day_arn      = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-store_day:live"
    }
    definition_numbers = { max_concurrency = 1, store_concurrency = 1 }
  }
  expect_failures = [var.account_id]
}

run "ingest_numbers_are_json_numbers" {
  command = plan
  module {
    source = "./modules/state_machine"
  }
  variables {
    name            = "ingest"
    definition_file = "../statemachines/ingest.asl.json"
    definition_vars = {
      validate_input_arn         = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-validate_input:live"
      fetch_bars_arn             = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-fetch_bars:live"
      pick_winner_arn            = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-pick_winner:live"
      store_day_arn              = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-store_day:live"
      push_bars_arn              = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-push_bars:live"
      table_name                 = "stock-movers-test-movers"
      event_bus_name             = "default"
      event_source               = "stock-movers.test"
      plan_backfill_arn          = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-plan_backfill:live"
      backfill_machine_arn       = "arn:aws:states:us-east-1:123456789012:stateMachine:stock-movers-test-backfill:live"
      backfill_executions        = "arn:aws:states:us-east-1:123456789012:execution:stock-movers-test-backfill"
      bucket_name                = "stock-movers-test-data"
      distributed_execution_type = "EXPRESS"
    }
    definition_numbers = {
      max_concurrency           = 6, gap_heal_sessions = 10,
      distributed_map_threshold = 40, distributed_batch_size = 25, distributed_max_concurrency = 4
    }
  }

  assert {
    condition = (
      jsondecode(output.definition).States["Fan-out Mode?"].Choices[0].NumericGreaterThan == 40 &&
      jsondecode(output.definition).States["Fetch Watchlist Distributed"].ItemBatcher.MaxItemsPerBatch == 25 &&
      jsondecode(output.definition).States["Fetch Watchlist Distributed"].MaxConcurrency == 4
    )
    error_message = "the Distributed Map's threshold, batch size and concurrency must render as JSON numbers"
  }

  assert {
    condition     = jsondecode(output.definition).States["Fetch Watchlist"].MaxConcurrency == 6
    error_message = "MaxConcurrency must render as a JSON number"
  }
  assert {
    condition     = jsondecode(output.definition).States["Find Gaps"].Parameters.Payload.sessions == 10
    error_message = "gap_heal_sessions must render as a JSON number"
  }
  assert {
    # A placeholder inside a longer string (the Find Gaps comment) stays text.
    condition     = strcontains(jsondecode(output.definition).States["Find Gaps"].Comment, "the last 10 sessions")
    error_message = "a placeholder inside a string must render as text"
  }
  assert {
    condition     = !strcontains(output.definition, format("%s{", "$")) # format(): checkov's HCL parser misreads the escaped literal
    error_message = "every placeholder must be filled"
  }
}
