# Data at rest: one S3 bucket (raw provider bodies and curated Parquet), the main DynamoDB table (winners,
# per-ticker days, analysis) and a control table for transient records (rate-limiter buckets, idempotency).

resource "aws_s3_bucket" "data" {
  #checkov:skip=CKV2_AWS_62:nothing reacts to object writes (the state machines pass keys along)
  #checkov:skip=CKV_AWS_144:raw bodies can be fetched again from the provider and curated data rebuilt (movers replay); versioning guards against deletes
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES256) by default; a customer key adds key-policy operations for public market data
  #checkov:skip=CKV_AWS_18:server access logs need a log bucket per environment; CloudTrail data events are the account-level choice for audits
  bucket = "${local.name_prefix}-data-${substr(sha256("${local.name_prefix}/${var.region}"), 0, 8)}"
  # Keep data unless an operator empties the bucket on purpose.
  force_destroy = var.environment == "local"
}

resource "aws_s3_bucket_versioning" "data" {
  bucket = aws_s3_bucket.data.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "data" {
  bucket                  = aws_s3_bucket.data.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "data" {
  bucket = aws_s3_bucket.data.id

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
  bucket                   = aws_s3_bucket.data.id
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
      bucket_arn = aws_s3_bucket.data.arn
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
    resources = ["${aws_s3_bucket.data.arn}/inventory/*"]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.data.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.data.arn, "${aws_s3_bucket.data.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "data" {
  bucket     = aws_s3_bucket.data.id
  policy     = data.aws_iam_policy_document.data_bucket.json
  depends_on = [aws_s3_bucket_public_access_block.data]
}
