# The static page (frontend/) in S3, served by CloudFront through Origin Access Control by default, or as
# an S3 website (public bucket, HTTP only), or not at all. config.js is generated here with the API's URL.

locals {
  frontend_enabled    = var.frontend_hosting != "none"
  frontend_cloudfront = var.frontend_hosting == "cloudfront"
  frontend_website    = var.frontend_hosting == "s3-website"
  frontend_dir        = "${path.module}/../frontend"

  # Every file of frontend/ except a locally generated config.js (Terraform writes its own below).
  frontend_files = local.frontend_enabled ? toset([
    for f in fileset(local.frontend_dir, "**") : f if f != "config.js" && !startswith(basename(f), ".")
  ]) : toset([])

  frontend_content_types = {
    html = "text/html; charset=utf-8"
    js   = "text/javascript; charset=utf-8"
    css  = "text/css; charset=utf-8"
    json = "application/json"
    md   = "text/markdown; charset=utf-8"
    txt  = "text/plain; charset=utf-8"
    png  = "image/png"
    svg  = "image/svg+xml"
    ico  = "image/x-icon"
    map  = "application/json"
  }

  # What each provider's terms allow for the data the page shows (docs/providers.md#data-terms cites
  # them). The local stack passes its own note instead (SYNTHETIC data, movers/local/stack.py).
  provider_licence_notes = {
    massive      = "Market data from Massive, for display only under its terms; redistribution is not permitted."
    alphavantage = "Market data from Alpha Vantage, for display only; redistribution is subject to its terms."
    tiingo       = "Market data from Tiingo, for display only; redistributing it needs a licence from Tiingo."
  }
  frontend_data_note = var.frontend_data_note != "" ? var.frontend_data_note : local.provider_licence_notes[var.market_provider]
  frontend_config = {
    apiUrl   = aws_api_gateway_stage.v1.invoke_url
    dataNote = local.frontend_data_note
  }
  # One-line interpolation: checkov's HCL parser cannot read a multi-line one (it skipped the whole file).
  frontend_config_js = "window.MOVERS_CONFIG = ${jsonencode(local.frontend_config)};\n"
}

module "frontend_bucket" {
  source = "./modules/private_bucket"
  count  = local.frontend_enabled ? 1 : 0
  name   = "${local.name_prefix}-web-${substr(sha256("${local.name_prefix}/${var.region}/web"), 0, 8)}"
  # only build output lives here; terraform apply re-uploads it
  force_destroy = true
  # Private behind CloudFront; the S3 website alternative needs a public-read bucket policy (HTTP only).
  public_website = local.frontend_website
  policy_json    = data.aws_iam_policy_document.frontend_bucket[0].json
}

resource "aws_s3_object" "frontend" {
  for_each      = local.frontend_files
  bucket        = module.frontend_bucket[0].id
  key           = each.value
  source        = "${local.frontend_dir}/${each.value}"
  etag          = filemd5("${local.frontend_dir}/${each.value}")
  content_type  = lookup(local.frontend_content_types, lower(reverse(split(".", each.value))[0]), "application/octet-stream")
  cache_control = endswith(each.value, ".html") ? "no-cache" : "public, max-age=300"
}

resource "aws_s3_object" "frontend_config" {
  count         = local.frontend_enabled ? 1 : 0
  bucket        = module.frontend_bucket[0].id
  key           = "config.js"
  content       = local.frontend_config_js
  etag          = md5(local.frontend_config_js)
  content_type  = "text/javascript; charset=utf-8"
  cache_control = "no-cache"
}

# ------------------------------------------------------------------------------------------- CloudFront

resource "aws_cloudfront_origin_access_control" "frontend" {
  count                             = local.frontend_cloudfront ? 1 : 0
  name                              = "${local.name_prefix}-web"
  description                       = "CloudFront reads the page bucket with SigV4"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_distribution" "frontend" {
  #checkov:skip=CKV_AWS_174:minimum_protocol_version is TLSv1.2_2021; with the default *.cloudfront.net certificate CloudFront decides, a custom domain is a deployment choice
  #checkov:skip=CKV2_AWS_42:custom domain and certificate are a deployment choice; the default certificate serves HTTPS
  #checkov:skip=CKV_AWS_68:a static public page of public data; WAF is an account-level add-on
  #checkov:skip=CKV2_AWS_47:no WAF (see CKV_AWS_68)
  #checkov:skip=CKV_AWS_86:access logging needs a log bucket; optional for a static page
  #checkov:skip=CKV_AWS_374:public data for everyone: no geo restriction
  #checkov:skip=CKV_AWS_310:one origin (the page bucket); failover to a second bucket is not worth it for a static page
  #checkov:skip=CKV2_AWS_32:a response headers policy (CSP, HSTS) is a possible hardening, not yet done; the page is static and reads a public API
  count               = local.frontend_cloudfront ? 1 : 0
  enabled             = true
  comment             = "${local.name_prefix} page"
  default_root_object = "index.html"
  price_class         = var.frontend_price_class
  http_version        = "http2and3"

  origin {
    origin_id                = "page-bucket"
    domain_name              = module.frontend_bucket[0].bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.frontend[0].id
  }

  default_cache_behavior {
    target_origin_id       = "page-bucket"
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    compress               = true
    # AWS managed "CachingOptimized" policy: honours the objects' Cache-Control.
    cache_policy_id = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
    minimum_protocol_version       = "TLSv1.2_2021"
  }
}

data "aws_iam_policy_document" "frontend_bucket" {
  count = local.frontend_enabled ? 1 : 0

  dynamic "statement" {
    for_each = local.frontend_cloudfront ? [1] : []
    content {
      sid       = "CloudFrontReadsThroughOAC"
      actions   = ["s3:GetObject"]
      resources = ["${module.frontend_bucket[0].arn}/*"]
      principals {
        type        = "Service"
        identifiers = ["cloudfront.amazonaws.com"]
      }
      condition {
        test     = "StringEquals"
        variable = "AWS:SourceArn"
        values   = [aws_cloudfront_distribution.frontend[0].arn]
      }
    }
  }

  dynamic "statement" {
    for_each = local.frontend_website ? [1] : []
    content {
      sid       = "PublicReadForWebsite"
      actions   = ["s3:GetObject"]
      resources = ["${module.frontend_bucket[0].arn}/*"]
      principals {
        type        = "*"
        identifiers = ["*"]
      }
    }
  }
}

# ------------------------------------------------------------------------------------------- S3 website

resource "aws_s3_bucket_website_configuration" "frontend" {
  count  = local.frontend_website ? 1 : 0
  bucket = module.frontend_bucket[0].id
  index_document {
    suffix = "index.html"
  }
}

# The page bucket was five resources here until the private_bucket module: an applied stack's move into it.
moved {
  from = aws_s3_bucket.frontend[0]
  to   = module.frontend_bucket[0].aws_s3_bucket.this[0]
}

moved {
  from = aws_s3_bucket_ownership_controls.frontend[0]
  to   = module.frontend_bucket[0].aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_public_access_block.frontend[0]
  to   = module.frontend_bucket[0].aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.frontend[0]
  to   = module.frontend_bucket[0].aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_versioning.frontend[0]
  to   = module.frontend_bucket[0].aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_policy.frontend[0]
  to   = module.frontend_bucket[0].aws_s3_bucket_policy.this
}
