# Terraform's provider capability table must equal the Python adapters' (stock_movers.providers), which
# tests/infrastructure/test_capabilities.py passes in as `python_fetch_strategies` and `python_daily_calls`
# with `terraform test -test-directory=tests/capabilities -var python_fetch_strategies=<json> ...`.
# A directory of its own: a plain `terraform test` (tests/) does not run it without that variable.
# The run is targeted, to keep it fast, at validate_input's function: it reads fetch_strategy and
# provider_daily_calls, whose validations read both tables, so the plan evaluates them. Without a target
# that reaches them the assertions fail loudly (Terraform errors or crashes), they never pass.

mock_provider "aws" {
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

run "the_capability_table_equals_the_python_adapters" {
  command = plan
  plan_options {
    target = [module.fn_validate_input.aws_lambda_function.this]
  }

  assert {
    condition = keys(local.provider_fetch_strategies) == keys(var.python_fetch_strategies) && alltrue([
      for name, strategies in local.provider_fetch_strategies : toset(strategies) == toset(var.python_fetch_strategies[name])
    ])
    error_message = "local.provider_fetch_strategies must equal the Python adapters' capabilities"
  }
  assert {
    condition = keys(local.provider_free_daily_calls) == keys(var.python_daily_calls) && alltrue([
      for name, calls in local.provider_free_daily_calls : calls == var.python_daily_calls[name]
    ])
    error_message = "local.provider_free_daily_calls must equal the Python adapters' daily_calls (0 for none)"
  }
}
