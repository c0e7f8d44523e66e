# Data at rest: one S3 bucket (raw provider bodies and curated Parquet), the main DynamoDB table (winners,
# per-ticker days, analysis) and a control table for transient records (rate-limiter buckets, idempotency).

module "data_bucket" {
  source = "./modules/private_bucket"
  name   = "${local.name_prefix}-data-${substr(sha256("${local.name_prefix}/${var.region}"), 0, 8)}"
  # Keep data unless an operator empties the bucket on purpose.
  force_destroy = var.environment == "local"
  policy_json   = data.aws_iam_policy_document.data_bucket.json
}

resource "aws_s3_bucket_lifecycle_configuration" "data" {
  bucket = module.data_bucket.id

  rule {
    id     = "raw-to-infrequent-access"
    status = "Enabled"
    filter {
      prefix = "raw/"
    }
    transition {
      days          = 30
      storage_class = "STANDARD_IA"
    }
  }

  # A daily run's work objects (fetched bars, the validated day) are read within the run, or a redrive of it
  # (at most 14 days later); a month is ample.
  rule {
    id     = "expire-ingest-work"
    status = "Enabled"
    filter {
      prefix = "work/ingest/"
    }
    expiration {
      days = 30
    }
  }

  # A backfill's validated days are read by its own Store Day steps (or a redrive, within 14 days).
  rule {
    id     = "expire-backfill-days"
    status = "Enabled"
    filter {
      prefix = "work/backfill/days/"
    }
    expiration {
      days = 30
    }
  }

  # A reconcile's revised days are read by its own Store Day and Record Revision steps (or a redrive).
  rule {
    id     = "expire-reconcile-days"
    status = "Enabled"
    filter {
      prefix = "work/reconcile/days/"
    }
    expiration {
      days = 30
    }
  }

  # The daily analysis's batch objects (per-ticker figures) are read by Store Analysis within the run or a
  # redrive of it, like the ingest's.
  rule {
    id     = "expire-analysis-work"
    status = "Enabled"
    filter {
      prefix = "work/analysis/"
    }
    expiration {
      days = 30
    }
  }

  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {
      prefix = ""
    }
    noncurrent_version_expiration {
      noncurrent_days = 90
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

# The configured watchlist (adapters/watchlist.py): an object, not an environment variable or an SSM
# parameter, so its size is not limited (Lambda's 4 KB environment, SSM's 4/8 KB values). Its readers are
# given its key and the version written here.
resource "aws_s3_object" "watchlist" {
  bucket       = module.data_bucket.id
  key          = "config/watchlist.json"
  content      = jsonencode({ tickers = var.watchlist })
  content_type = "application/json"
}

resource "aws_dynamodb_table" "main" {
  #checkov:skip=CKV_AWS_119:SSE with the AWS managed key is on; a customer key adds cost and key-policy operations for market data that is public
  name         = "${local.name_prefix}-movers"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"
  # Every AWS environment: dropping the table takes a deliberate change first (local stacks are disposable).
  deletion_protection_enabled = var.environment != "local"

  attribute {
    name = "pk"
    type = "S"
  }
  attribute {
    name = "sk"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}

resource "aws_dynamodb_table" "control" {
  #checkov:skip=CKV_AWS_119:SSE with the AWS managed key is on; a customer key adds cost and key-policy operations for market data that is public
  name         = "${local.name_prefix}-control"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"

  attribute {
    name = "id"
    type = "S"
  }

  # Only transient records live here (rate-limiter buckets, idempotency records): they expire.
  ttl {
    attribute_name = "expiration"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}

# Weekly inventory of the data bucket (CSV under inventory/ in the same bucket): what exists, its storage
# class and encryption, for audits and for checking a restore drill's inputs.
resource "aws_s3_bucket_inventory" "data" {
  bucket                   = module.data_bucket.id
  name                     = "weekly-inventory"
  included_object_versions = "Current"
  optional_fields          = ["Size", "LastModifiedDate", "StorageClass", "EncryptionStatus"]

  schedule {
    frequency = "Weekly"
  }

  filter {
    prefix = "raw/"
  }

  destination {
    bucket {
      format     = "CSV"
      bucket_arn = module.data_bucket.arn
      prefix     = "inventory"
      encryption {
        sse_s3 {}
      }
    }
  }
}

data "aws_iam_policy_document" "data_bucket" {
  statement {
    sid       = "InventoryDelivery"
    actions   = ["s3:PutObject"]
    resources = ["${module.data_bucket.arn}/inventory/*"]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [module.data_bucket.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# The data bucket was four resources here until the private_bucket module: an applied stack's move into it.
moved {
  from = aws_s3_bucket.data
  to   = module.data_bucket.aws_s3_bucket.this[0]
}

moved {
  from = aws_s3_bucket_versioning.data
  to   = module.data_bucket.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.data
  to   = module.data_bucket.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_public_access_block.data
  to   = module.data_bucket.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_policy.data
  to   = module.data_bucket.aws_s3_bucket_policy.this
}
