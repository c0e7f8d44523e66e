# One provider, two modes. With var.local_endpoint set (environments/local.tfvars and the tests), every
# service endpoint points at the local AWS (moto) with dummy credentials and no account lookup; otherwise
# the default credential chain and real AWS endpoints are used. In both modes the provider looks the account
# up and refuses to run unless it is one of var.allowed_account_ids (moto's account is 123456789012), so a
# plan with the wrong credentials fails before it reads or changes anything.

locals {
  is_local = var.local_endpoint != ""
  local_services = [
    "apigateway", "athena", "cloudfront", "cloudwatch", "dynamodb", "events", "glue", "iam", "lambda", "logs",
    "s3", "scheduler", "secretsmanager", "sfn", "sns", "sqs", "sts",
  ]
}

provider "aws" {
  region              = var.region
  allowed_account_ids = var.allowed_account_ids

  access_key                  = local.is_local ? "test" : null
  secret_key                  = local.is_local ? "test" : null
  skip_credentials_validation = local.is_local
  skip_metadata_api_check     = local.is_local
  skip_region_validation      = local.is_local
  s3_use_path_style           = local.is_local
  # An emulator's 500 with the default retries looks like a ten-minute hang; fail fast locally.
  max_retries = local.is_local ? 1 : null

  dynamic "endpoints" {
    for_each = local.is_local ? [1] : []
    content {
      apigateway     = var.local_endpoint
      athena         = var.local_endpoint
      cloudfront     = var.local_endpoint
      cloudwatch     = var.local_endpoint
      dynamodb       = var.local_endpoint
      events         = var.local_endpoint
      glue           = var.local_endpoint
      iam            = var.local_endpoint
      lambda         = var.local_endpoint
      logs           = var.local_endpoint
      s3             = var.local_endpoint
      scheduler      = var.local_endpoint
      secretsmanager = var.local_endpoint
      sfn            = var.local_endpoint
      sns            = var.local_endpoint
      sqs            = var.local_endpoint
      sts            = var.local_endpoint
    }
  }

  default_tags {
    tags = local.tags
  }
}
