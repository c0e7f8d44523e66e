# Plan-time assertions on SQL over the curated zone (query.tf), with the AWS provider mocked (no credentials,
# no network). Run by `terraform test` (tests/infrastructure/test_terraform.py).
# Runs are targeted at the resources their assertions read (or that read the refused variable), to keep
# `terraform test` fast; an assertion on a resource not targeted fails loudly (unknown or absent value), it
# never passes. operations.tftest.hcl plans the whole configuration once.

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

run "glue_tables_project_their_partitions_from_the_key_layout" {
  command = plan
  plan_options {
    target = [aws_glue_catalog_database.curated, aws_glue_catalog_table.curated]
  }

  assert {
    condition     = aws_glue_catalog_database.curated.name == "stock_movers_dev"
    error_message = "the Glue database is the name prefix with underscores"
  }
  assert {
    condition     = toset(keys(aws_glue_catalog_table.curated)) == toset(["daily_bars", "analysis"])
    error_message = "one Glue table per curated Parquet dataset"
  }
  assert {
    condition = alltrue([for name, t in aws_glue_catalog_table.curated :
      t.parameters["projection.enabled"] == "true"
      && t.parameters["projection.day.format"] == "yyyy-MM-dd"
      && t.parameters["projection.day.range"] == "2020-01-01,NOW"
      && t.parameters["projection.year.range"] == "2020,NOW"
      && endswith(t.parameters["storage.location.template"], "/curated/${name}/year=$${year}/date=$${day}/")
      && [for k in t.partition_keys : k.name] == ["year", "day"]
    ])
    error_message = "every table projects year and day (from curated_first_year to now) onto curated/<table>/year=/date="
  }
}

run "the_workgroup_enforces_its_results_bucket_encryption_and_scan_limit" {
  command = plan
  plan_options {
    target = [aws_athena_workgroup.query, aws_s3_bucket_lifecycle_configuration.query_results]
  }

  variables {
    query_bytes_scanned_cutoff = 104857600
  }

  assert {
    condition = (
      aws_athena_workgroup.query.configuration[0].enforce_workgroup_configuration
      && aws_athena_workgroup.query.configuration[0].bytes_scanned_cutoff_per_query == 104857600
      && aws_athena_workgroup.query.configuration[0].result_configuration[0].encryption_configuration[0].encryption_option == "SSE_S3"
    )
    error_message = "the workgroup must enforce its configuration, SSE-S3 results and the bytes-scanned limit"
  }
  assert {
    # private, TLS-only and encrypted: modules/private_bucket (tests/modules.tftest.hcl)
    condition = (
      one(aws_s3_bucket_lifecycle_configuration.query_results.rule).expiration[0].days == 7
      && one(aws_s3_bucket_lifecycle_configuration.query_results.rule).noncurrent_version_expiration[0].noncurrent_days == 1
    )
    error_message = "the results bucket expires results, and leaves no old versions behind"
  }
}

run "a_scan_limit_below_athenas_minimum_is_refused" {
  command = plan
  plan_options {
    target = [aws_athena_workgroup.query]
  }

  variables {
    query_bytes_scanned_cutoff = 1048576
  }
  expect_failures = [var.query_bytes_scanned_cutoff]
}

run "a_first_year_that_is_not_a_year_is_refused" {
  command = plan
  plan_options {
    target = [aws_glue_catalog_table.curated]
  }

  variables {
    curated_first_year = 2020.5
  }
  expect_failures = [var.curated_first_year]
}
