# Layers built by `make build` (reproducible zips): shared project code, common dependencies, pyarrow (only
# for the functions that read or write Parquet) and pydantic (only for the API function).
#
# Layer zips are published from S3, not sent in the PublishLayerVersion request: a direct upload is capped at
# a 50 MiB zip (RequestEntityTooLargeException); from S3 only the 250 MiB unzipped limit applies, which
# `make build` checks. The objects live under artifacts/layers/ in the data bucket (versioned, encrypted, TLS
# only, no function role can read that prefix); the key carries the zip's digest, so a changed zip is a new
# object and a new layer version, and the old object becomes a noncurrent version that the bucket's
# lifecycle expires (a published layer version keeps its own copy of the content).

locals {
  layer_zips = {
    for name in ["shared", "deps", "arrow", "pydantic"] : name => "${local.dist_dir}/layers/${name}.zip"
  }
}

resource "aws_s3_object" "layer" {
  for_each = local.layer_zips
  bucket   = aws_s3_bucket.data.id
  key      = "artifacts/layers/${each.key}-${filesha256(each.value)}.zip"
  source   = each.value
  # not `etag`: the provider uploads zips over its part size in parts, whose ETag is no MD5 of the file
  source_hash = filemd5(each.value)
}

resource "aws_lambda_layer_version" "shared" {
  layer_name               = "${local.name_prefix}-shared"
  s3_bucket                = aws_s3_object.layer["shared"].bucket
  s3_key                   = aws_s3_object.layer["shared"].key
  source_code_hash         = filebase64sha256(local.layer_zips.shared)
  compatible_runtimes      = [local.fn_common.runtime]
  compatible_architectures = [var.lambda_architecture]
  description              = "stock_movers package: domain core, providers, adapters"
}

resource "aws_lambda_layer_version" "deps" {
  layer_name               = "${local.name_prefix}-deps"
  s3_bucket                = aws_s3_object.layer["deps"].bucket
  s3_key                   = aws_s3_object.layer["deps"].key
  source_code_hash         = filebase64sha256(local.layer_zips.deps)
  compatible_runtimes      = [local.fn_common.runtime]
  compatible_architectures = [var.lambda_architecture]
  description              = "Powertools, requests, holidays, tzdata"
}

resource "aws_lambda_layer_version" "arrow" {
  layer_name               = "${local.name_prefix}-arrow"
  s3_bucket                = aws_s3_object.layer["arrow"].bucket
  s3_key                   = aws_s3_object.layer["arrow"].key
  source_code_hash         = filebase64sha256(local.layer_zips.arrow)
  compatible_runtimes      = [local.fn_common.runtime]
  compatible_architectures = [var.lambda_architecture]
  description              = "pyarrow slimmed to Parquet, for Parquet writers and readers only"
}

resource "aws_lambda_layer_version" "pydantic" {
  layer_name               = "${local.name_prefix}-pydantic"
  s3_bucket                = aws_s3_object.layer["pydantic"].bucket
  s3_key                   = aws_s3_object.layer["pydantic"].key
  source_code_hash         = filebase64sha256(local.layer_zips.pydantic)
  compatible_runtimes      = [local.fn_common.runtime]
  compatible_architectures = [var.lambda_architecture]
  description              = "pydantic, for the API function only"
}
