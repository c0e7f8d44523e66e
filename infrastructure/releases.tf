# Releases: every function and state machine publishes immutable versions behind a `live` alias (see the
# function and state_machine modules), and every caller invokes or starts the alias. This file records each
# release in a ledger object, `releases/live.json` in the (versioned) data bucket: the live version of
# every function and state machine. A deploy that publishes anything writes a new object version, so the
# object's previous version is the previous release; `movers rollback` (make rollback ENV=...) moves
# every alias back to it. docs/operations.md#releases.

locals {
  release_functions = {
    validate_input   = module.fn_validate_input
    fetch_bars       = module.fn_fetch_bars
    pick_winner      = module.fn_pick_winner
    store_day        = module.fn_store_day
    start_daily      = module.fn_start_daily
    api              = module.fn_api
    analysis_prepare = module.fn_analysis_prepare
    analysis_ticker  = module.fn_analysis_ticker
    analysis_store   = module.fn_analysis_store
    analysis_catchup = module.fn_analysis_catchup
    plan_backfill    = module.fn_plan_backfill
    fetch_range      = module.fn_fetch_range
    store_sessions   = module.fn_store_sessions
    audit_record     = module.fn_audit_record
    staleness_check  = module.fn_staleness_check
    reconcile        = module.fn_reconcile
    push_bars        = module.fn_push_bars
  }
  release_state_machines = {
    ingest         = module.sfn_ingest
    daily_analysis = module.sfn_daily_analysis
    backfill       = module.sfn_backfill
    reconcile      = module.sfn_reconcile
  }
  release_ledger = jsonencode({
    alias = "live"
    functions = {
      for short, fn in local.release_functions : fn.function_name => fn.version
    }
    state_machines = {
      for short, sm in local.release_state_machines : sm.arn => sm.version_arn
    }
  })
}

resource "aws_s3_object" "release_ledger" {
  #checkov:skip=CKV_AWS_186:the ledger holds version numbers only; the bucket's default SSE encrypts it
  bucket       = module.data_bucket.id
  key          = "releases/live.json"
  content      = local.release_ledger
  content_type = "application/json"
}
