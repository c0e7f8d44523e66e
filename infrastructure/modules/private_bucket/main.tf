# One S3 bucket with the project's secure defaults, written once: versioned, encrypted (SSE-S3), object
# ownership enforced (ACLs off), every public access blocked, and a bucket policy that denies any request
# not made over TLS. The caller adds its own policy statements (policy_json) and its own lifecycle rules,
# inventory, website or objects next to the module. The single exception is public_website (the S3 website
# endpoint, which serves HTTP only and needs a public-read policy): see variables.tf.

locals {
  # prevent_destroy cannot come from a variable, so a protected bucket is a second resource.
  bucket = var.prevent_destroy ? aws_s3_bucket.protected[0] : aws_s3_bucket.this[0]
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV2_AWS_62:nothing in the project reacts to object writes (state machines pass keys along)
  #checkov:skip=CKV_AWS_144:cross-region replication is a per-deployment choice; versioning guards against deletes
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES256) by default; a customer key adds key-policy operations (and CloudFront OAC needs none)
  #checkov:skip=CKV_AWS_18:server access logs need a log bucket per environment; CloudTrail data events are the account-level choice for audits
  #checkov:skip=CKV2_AWS_61:lifecycle rules are the caller's (next to the module call); a page bucket holds only the current build
  #checkov:skip=CKV2_AWS_6:the public access block is below (local.bucket, which checkov does not follow); infrastructure/tests/modules.tftest.hcl asserts it
  #checkov:skip=CKV_AWS_21:versioning is below (local.bucket, which checkov does not follow); infrastructure/tests/modules.tftest.hcl asserts it
  count         = var.prevent_destroy ? 0 : 1
  bucket        = var.name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket" "protected" {
  #checkov:skip=CKV2_AWS_62:nothing in the project reacts to object writes (state machines pass keys along)
  #checkov:skip=CKV_AWS_144:cross-region replication is a per-deployment choice; versioning guards against deletes
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES256) by default; a customer key adds key-policy operations (and CloudFront OAC needs none)
  #checkov:skip=CKV_AWS_18:server access logs need a log bucket per environment; CloudTrail data events are the account-level choice for audits
  #checkov:skip=CKV2_AWS_61:lifecycle rules are the caller's (next to the module call)
  #checkov:skip=CKV2_AWS_6:the public access block is below (local.bucket, which checkov does not follow); infrastructure/tests/modules.tftest.hcl asserts it
  #checkov:skip=CKV_AWS_21:versioning is below (local.bucket, which checkov does not follow); infrastructure/tests/modules.tftest.hcl asserts it
  count  = var.prevent_destroy ? 1 : 0
  bucket = var.name
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = local.bucket.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = local.bucket.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = local.bucket.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  #checkov:skip=CKV_AWS_54:a public policy is allowed only with public_website = true (the S3 website endpoint's public-read page); every other bucket blocks it
  #checkov:skip=CKV_AWS_56:as CKV_AWS_54: only public_website buckets are public, by design
  bucket                  = local.bucket.id
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = !var.public_website
  restrict_public_buckets = !var.public_website
}

data "aws_iam_policy_document" "this" {
  source_policy_documents = var.policy_json == "" ? [] : [var.policy_json]

  # TLS only, except for the S3 website endpoint, which speaks only HTTP.
  dynamic "statement" {
    for_each = var.public_website ? [] : [1]
    content {
      sid       = "DenyInsecureTransport"
      effect    = "Deny"
      actions   = ["s3:*"]
      resources = [local.bucket.arn, "${local.bucket.arn}/*"]
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
}

resource "aws_s3_bucket_policy" "this" {
  bucket     = local.bucket.id
  policy     = data.aws_iam_policy_document.this.json
  depends_on = [aws_s3_bucket_public_access_block.this]
}
