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
  # name => description; each is built to layers/<name>.zip and published as <name_prefix>-<name>.
  layers = {
    shared   = "stock_movers package: domain core, providers, adapters"
    deps     = "Powertools, requests, holidays, tzdata"
    arrow    = "pyarrow slimmed to Parquet, for Parquet writers and readers only"
    pydantic = "pydantic, for the API function only"
  }
  layer_zips = { for name in keys(local.layers) : name => "${local.dist_dir}/layers/${name}.zip" }
}

resource "aws_s3_object" "layer" {
  for_each = local.layer_zips
  bucket   = module.data_bucket.id
  key      = "artifacts/layers/${each.key}-${filesha256(each.value)}.zip"
  source   = each.value
  # not `etag`: the provider uploads zips over its part size in parts, whose ETag is no MD5 of the file
  source_hash = filemd5(each.value)
}

resource "aws_lambda_layer_version" "layer" {
  for_each                 = local.layers
  layer_name               = "${local.name_prefix}-${each.key}"
  s3_bucket                = aws_s3_object.layer[each.key].bucket
  s3_key                   = aws_s3_object.layer[each.key].key
  source_code_hash         = filebase64sha256(local.layer_zips[each.key])
  compatible_runtimes      = [local.fn_common.runtime]
  compatible_architectures = [var.lambda_architecture]
  description              = each.value
}

# The four layers were one resource each until they became one for_each: an applied stack's layer versions
# move to their keys (no new version is published).
moved {
  from = aws_lambda_layer_version.shared
  to   = aws_lambda_layer_version.layer["shared"]
}

moved {
  from = aws_lambda_layer_version.deps
  to   = aws_lambda_layer_version.layer["deps"]
}

moved {
  from = aws_lambda_layer_version.arrow
  to   = aws_lambda_layer_version.layer["arrow"]
}

moved {
  from = aws_lambda_layer_version.pydantic
  to   = aws_lambda_layer_version.layer["pydantic"]
}
