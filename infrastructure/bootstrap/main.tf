# One-time remote-state bootstrap (its own root, local state): an S3 bucket for the stack's Terraform state,
# versioned (every state revision recoverable), encrypted, public access blocked, TLS only. Locking uses S3
# native lock files (`use_lockfile = true` in environments/<env>.backend.hcl, Terraform >= 1.10), so no
# DynamoDB lock table is needed. See docs/operations.md#remote-state.

terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

variable "region" {
  type        = string
  description = "AWS region of the state bucket."
  default     = "us-east-1"
}

variable "state_bucket_name" {
  type        = string
  description = "Globally unique name of the state bucket (put the same name in environments/*.backend.hcl)."
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be a valid S3 bucket name."
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { Project = "stock-movers", ManagedBy = "terraform", Purpose = "terraform-state" }
  }
}

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_144:state is small and versioned; cross-region replication is an account-level choice
  #checkov:skip=CKV_AWS_18:access to the state bucket is audited by CloudTrail; a log bucket per state bucket adds little
  #checkov:skip=CKV2_AWS_62:nothing reacts to state writes
  #checkov:skip=CKV_AWS_145:SSE-S3 encryption; a customer key adds key-policy operations for no extra protection here
  bucket = var.state_bucket_name
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    id     = "expire-old-state-versions"
    status = "Enabled"
    filter {
      prefix = ""
    }
    noncurrent_version_expiration {
      noncurrent_days = 365
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

data "aws_iam_policy_document" "state" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.state.arn, "${aws_s3_bucket.state.arn}/*"]
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

resource "aws_s3_bucket_policy" "state" {
  bucket     = aws_s3_bucket.state.id
  policy     = data.aws_iam_policy_document.state.json
  depends_on = [aws_s3_bucket_public_access_block.state]
}

output "state_bucket" {
  description = "The state bucket: put it in environments/<env>.backend.hcl as `bucket`."
  value       = aws_s3_bucket.state.bucket
}
