# A whole-market schedule with a provider without a grouped-daily endpoint: this plan must FAIL, naming
# market_schedule_enabled. tests/infrastructure/test_market_schedule.py runs it with
# `terraform test -test-directory=tests/market_schedule -var market_provider=<provider>` and checks the
# message (operations.tftest.hcl checks, with expect_failures, that the failure is that variable's).
# A directory of its own: a plain `terraform test` (tests/) does not run it.
# The run is targeted, to keep it fast, at a resource of the market schedule: its count reads
# market_schedule_enabled, so the variable's validation runs (a targeted plan validates only the variables
# its resources read). The whole configuration with the market schedule is planned, untargeted, in
# operations.tftest.hcl.

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
  environment             = "dev"
  allowed_account_ids     = ["123456789012"]
  market_schedule_enabled = true
}

run "a_market_schedule_plan" {
  command = plan
  plan_options {
    target = [module.market_schedule.aws_iam_role.this]
  }
}
