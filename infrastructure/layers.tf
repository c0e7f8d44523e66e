# Layers built by `make build` (reproducible zips): shared project code, common dependencies, and pyarrow
# (only for the functions that read or write Parquet).

resource "aws_lambda_layer_version" "shared" {
  layer_name               = "${local.name_prefix}-shared"
  filename                 = "${local.dist_dir}/layers/shared.zip"
  source_code_hash         = filebase64sha256("${local.dist_dir}/layers/shared.zip")
  compatible_runtimes      = [local.fn_common.runtime]
  compatible_architectures = [var.lambda_architecture]
  description              = "stock_movers package: domain core, providers, adapters"
}

resource "aws_lambda_layer_version" "deps" {
  layer_name               = "${local.name_prefix}-deps"
  filename                 = "${local.dist_dir}/layers/deps.zip"
  source_code_hash         = filebase64sha256("${local.dist_dir}/layers/deps.zip")
  compatible_runtimes      = [local.fn_common.runtime]
  compatible_architectures = [var.lambda_architecture]
  description              = "Powertools, requests, holidays, tzdata"
}

resource "aws_lambda_layer_version" "arrow" {
  layer_name               = "${local.name_prefix}-arrow"
  filename                 = "${local.dist_dir}/layers/arrow.zip"
  source_code_hash         = filebase64sha256("${local.dist_dir}/layers/arrow.zip")
  compatible_runtimes      = [local.fn_common.runtime]
  compatible_architectures = [var.lambda_architecture]
  description              = "pyarrow, for Parquet writers and readers only"
}
