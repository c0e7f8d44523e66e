# Plan-time assertions on the small modules behind the repeated shapes: the private bucket (versioned,
# encrypted, ACLs off, public access blocked, TLS only) and the scheduled invoke (a schedule and a role
# trusted only by this account's schedules). AWS provider mocked; run by `terraform test`
# (tests/infrastructure/test_terraform.py).

mock_provider "aws" {
  # Mocked values must still pass the provider's validation: policy documents are JSON.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

run "a_private_bucket_is_versioned_encrypted_blocked_and_tls_only" {
  command = plan
  module {
    source = "./modules/private_bucket"
  }
  variables {
    name        = "stock-movers-test-data-12345678"
    policy_json = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Extra\",\"Effect\":\"Allow\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::b/x/*\",\"Principal\":{\"Service\":\"s3.amazonaws.com\"}}]}"
  }

  assert {
    condition     = aws_s3_bucket_versioning.this.versioning_configuration[0].status == "Enabled"
    error_message = "a private bucket must be versioned"
  }
  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.this.rule).apply_server_side_encryption_by_default).sse_algorithm == "AES256"
    error_message = "a private bucket must be encrypted by default"
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.this.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "a private bucket must have ACLs off (BucketOwnerEnforced)"
  }
  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.this.block_public_acls,
      aws_s3_bucket_public_access_block.this.block_public_policy,
      aws_s3_bucket_public_access_block.this.ignore_public_acls,
      aws_s3_bucket_public_access_block.this.restrict_public_buckets,
    ])
    error_message = "a private bucket must block every kind of public access"
  }
  assert {
    condition     = [for s in data.aws_iam_policy_document.this.statement : s.sid] == ["DenyInsecureTransport"] && data.aws_iam_policy_document.this.statement[0].effect == "Deny" && one(data.aws_iam_policy_document.this.statement[0].condition).variable == "aws:SecureTransport"
    error_message = "a private bucket's policy must deny every request not made over TLS"
  }
  assert {
    condition     = length(aws_s3_bucket.this) == 1 && length(aws_s3_bucket.protected) == 0 && !aws_s3_bucket.this[0].force_destroy
    error_message = "a bucket is not force-destroyed and not protected unless asked"
  }
}

run "a_protected_bucket_refuses_destroy" {
  command = plan
  module {
    source = "./modules/private_bucket"
  }
  variables {
    name            = "stock-movers-tfstate-123456789012"
    prevent_destroy = true
  }

  assert {
    condition     = length(aws_s3_bucket.protected) == 1 && length(aws_s3_bucket.this) == 0
    error_message = "prevent_destroy = true must create the bucket with lifecycle prevent_destroy"
  }
}

run "a_protected_bucket_cannot_be_force_destroyed" {
  command = plan
  module {
    source = "./modules/private_bucket"
  }
  variables {
    name            = "stock-movers-tfstate-123456789012"
    prevent_destroy = true
    force_destroy   = true
  }
  expect_failures = [var.prevent_destroy]
}

run "only_a_public_website_bucket_opens_its_policy_and_drops_tls_only" {
  command = plan
  module {
    source = "./modules/private_bucket"
  }
  variables {
    name           = "stock-movers-test-web-12345678"
    public_website = true
    policy_json    = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"PublicReadForWebsite\",\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::stock-movers-test-web-12345678/*\",\"Principal\":\"*\"}]}"
  }

  assert {
    condition     = !aws_s3_bucket_public_access_block.this.block_public_policy && !aws_s3_bucket_public_access_block.this.restrict_public_buckets && aws_s3_bucket_public_access_block.this.block_public_acls && aws_s3_bucket_public_access_block.this.ignore_public_acls
    error_message = "a public website bucket allows a public policy, never ACLs"
  }
  assert {
    condition     = length(data.aws_iam_policy_document.this.statement) == 0
    error_message = "the S3 website endpoint speaks HTTP only: no TLS-only statement"
  }
}

run "a_public_website_needs_its_public_read_policy" {
  command = plan
  module {
    source = "./modules/private_bucket"
  }
  variables {
    name           = "stock-movers-test-web-12345678"
    public_website = true
  }
  expect_failures = [var.public_website]
}

run "a_schedule_role_is_trusted_only_by_this_account_and_invokes_one_function" {
  command = plan
  module {
    source = "./modules/scheduled_invoke"
  }
  variables {
    name                = "stock-movers-test-daily"
    description         = "test"
    role_name           = "stock-movers-test-daily-scheduler"
    invoke_sid          = "InvokeStartDaily"
    target_arn          = "arn:aws:lambda:us-east-1:123456789012:function:stock-movers-test-start-daily:live"
    account_id          = "123456789012"
    schedule_expression = "cron(30 18 ? * MON-FRI *)"
    enabled             = false
  }

  assert {
    condition = anytrue([for c in data.aws_iam_policy_document.assume.statement[0].condition :
    c.test == "StringEquals" && c.variable == "aws:SourceAccount" && length(c.values) == 1 && contains(c.values, "123456789012")])
    error_message = "the scheduler role must trust only this account's schedules (aws:SourceAccount)"
  }
  assert {
    condition     = one(data.aws_iam_policy_document.assume.statement[0].principals).identifiers == toset(["scheduler.amazonaws.com"])
    error_message = "only EventBridge Scheduler may assume the role"
  }
  assert {
    condition     = data.aws_iam_policy_document.invoke.statement[0].actions == toset(["lambda:InvokeFunction"]) && data.aws_iam_policy_document.invoke.statement[0].resources == toset([var.target_arn])
    error_message = "the role may invoke exactly the scheduled function"
  }
  assert {
    condition     = aws_scheduler_schedule.this.state == "DISABLED" && aws_scheduler_schedule.this.target[0].arn == var.target_arn
    error_message = "enabled = false keeps the schedule DISABLED; its target is the function"
  }
}

run "a_schedule_may_start_one_state_machine_instead" {
  command = plan
  module {
    source = "./modules/scheduled_invoke"
  }
  variables {
    name                = "stock-movers-test-reconcile"
    description         = "test"
    role_name           = "stock-movers-test-reconcile-schedule"
    invoke_sid          = "StartReconcile"
    target_arn          = "arn:aws:states:us-east-1:123456789012:stateMachine:stock-movers-test-reconcile:live"
    target_action       = "states:StartExecution"
    account_id          = "123456789012"
    schedule_expression = "cron(0 20 ? * MON-FRI *)"
  }

  assert {
    condition     = data.aws_iam_policy_document.invoke.statement[0].actions == toset(["states:StartExecution"]) && data.aws_iam_policy_document.invoke.statement[0].resources == toset([var.target_arn])
    error_message = "the role may start exactly the scheduled state machine, and do nothing else"
  }
  assert {
    condition     = aws_scheduler_schedule.this.target[0].arn == var.target_arn
    error_message = "the schedule's target is the state machine's alias"
  }
}

run "a_schedule_refuses_any_other_action" {
  command = plan
  module {
    source = "./modules/scheduled_invoke"
  }
  variables {
    name                = "stock-movers-test-bad"
    description         = "test"
    role_name           = "stock-movers-test-bad-schedule"
    invoke_sid          = "Bad"
    target_arn          = "arn:aws:states:us-east-1:123456789012:stateMachine:stock-movers-test-reconcile:live"
    target_action       = "states:*"
    account_id          = "123456789012"
    schedule_expression = "cron(0 20 ? * MON-FRI *)"
  }
  expect_failures = [var.target_action]
}
