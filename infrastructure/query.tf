# SQL over the curated zone: a Glue Data Catalog database with one table per curated Parquet dataset
# (query_tables.json), partitioned by the key layout's year=<Y>/date=<D> with partition projection (Athena
# computes the partitions from the table's properties, so a new day needs no crawler and no
# AddPartition), and an Athena workgroup that enforces its results bucket, encryption and a bytes-scanned
# limit per query. Readers get `query_policy_arn` attached (docs/query.md); nothing in the pipeline queries.

locals {
  query_tables = { for name, table in jsondecode(file("${path.module}/query_tables.json")) : name => table if name != "_comment" }
  # Glue database names take lowercase letters, digits and underscores (Athena quotes anything else).
  query_database = replace(local.name_prefix, "-", "_")
  query_results  = "${local.name_prefix}-query-results-${substr(sha256("${local.name_prefix}/${var.region}"), 0, 8)}"
}

resource "aws_glue_catalog_database" "curated" {
  name        = local.query_database
  description = "The curated zone of ${local.name_prefix} (s3://${module.data_bucket.bucket}/curated/), for Athena."
}

resource "aws_glue_catalog_table" "curated" {
  for_each      = local.query_tables
  name          = each.key
  database_name = aws_glue_catalog_database.curated.name
  description   = each.value.description
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    EXTERNAL              = "TRUE"
    classification        = "parquet"
    "parquet.compression" = "SNAPPY"
    # Partition projection: `year` and `day` are computed from these ranges (up to now), never stored.
    "projection.enabled"            = "true"
    "projection.year.type"          = "date"
    "projection.year.format"        = "yyyy"
    "projection.year.range"         = "${var.curated_first_year},NOW"
    "projection.year.interval"      = "1"
    "projection.year.interval.unit" = "YEARS"
    "projection.day.type"           = "date"
    "projection.day.format"         = "yyyy-MM-dd"
    "projection.day.range"          = "${var.curated_first_year}-01-01,NOW"
    "projection.day.interval"       = "1"
    "projection.day.interval.unit"  = "DAYS"
    # The key layout's own names: the files hold a `date` column, so the path's date= is the key `day`.
    "storage.location.template" = "s3://${module.data_bucket.bucket}/${each.value.prefix}/year=$${year}/date=$${day}/"
  }

  partition_keys {
    name    = "year"
    type    = "string"
    comment = "the object key's year=YYYY (filter on it, or on day, so Athena reads only those days)"
  }
  partition_keys {
    name    = "day"
    type    = "string"
    comment = "the object key's date=YYYY-MM-DD, equal to the date column"
  }

  storage_descriptor {
    location      = "s3://${module.data_bucket.bucket}/${each.value.prefix}/"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
      parameters = {
        "serialization.format" = "1"
      }
    }

    dynamic "columns" {
      for_each = each.value.columns
      content {
        name    = columns.value.name
        type    = columns.value.type
        comment = columns.value.comment
      }
    }
  }
}

# Query results: written by Athena for the workgroup's queries only, kept query_results_days. Private,
# TLS-only and encrypted like every bucket of the stack (modules/private_bucket).
module "query_results_bucket" {
  source = "./modules/private_bucket"
  name   = local.query_results
  # Results are disposable: destroying the stack takes them along.
  force_destroy = true
}

resource "aws_s3_bucket_lifecycle_configuration" "query_results" {
  bucket = module.query_results_bucket.id

  rule {
    id     = "expire-query-results"
    status = "Enabled"
    filter {
      prefix = ""
    }
    expiration {
      days = var.query_results_days
    }
    # the bucket is versioned (the module's default): an expired result leaves no version behind
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_athena_workgroup" "query" {
  name        = "${local.name_prefix}-query"
  description = "SQL over the curated zone of ${local.name_prefix} (docs/query.md)."
  # Destroying the stack takes the workgroup's saved queries and history along.
  force_destroy = true

  configuration {
    # Clients cannot override the results location, its encryption or the scan limit.
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.query_bytes_scanned_cutoff

    # Trino-based: the dialect docs/query.md compares with the local engine.
    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location       = "s3://${module.query_results_bucket.bucket}/results/"
      expected_bucket_owner = local.account_id
      encryption_configuration {
        encryption_option = "SSE_S3"
      }
    }
  }
}

locals {
  query_workgroup_arn = "arn:aws:athena:${var.region}:${local.account_id}:workgroup/${aws_athena_workgroup.query.name}"
  glue_arn            = "arn:aws:glue:${var.region}:${local.account_id}"
}

# What a reader of the curated zone needs, nothing more: run and read queries in this workgroup only, read
# this database's table definitions, read the tables' objects, and write results where the workgroup says.
data "aws_iam_policy_document" "query" {
  statement {
    sid = "RunQueriesInTheWorkgroup"
    actions = [
      "athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults",
      "athena:StopQueryExecution", "athena:GetQueryRuntimeStatistics", "athena:GetWorkGroup",
    ]
    resources = [local.query_workgroup_arn]
  }
  statement {
    sid     = "ReadTheCatalog"
    actions = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions"]
    resources = concat(
      ["${local.glue_arn}:catalog", "${local.glue_arn}:database/${aws_glue_catalog_database.curated.name}"],
      [for name in keys(local.query_tables) : "${local.glue_arn}:table/${aws_glue_catalog_database.curated.name}/${name}"],
    )
  }
  statement {
    sid       = "LocateTheBuckets"
    actions   = ["s3:GetBucketLocation"]
    resources = [module.data_bucket.arn, module.query_results_bucket.arn]
  }
  statement {
    sid       = "ListTheCuratedTables"
    actions   = ["s3:ListBucket"]
    resources = [module.data_bucket.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [for table in values(local.query_tables) : "${table.prefix}/*"]
    }
  }
  statement {
    sid       = "ReadTheCuratedTables"
    actions   = ["s3:GetObject"]
    resources = [for table in values(local.query_tables) : "${module.data_bucket.arn}/${table.prefix}/*"]
  }
  statement {
    sid       = "ListQueryResults"
    actions   = ["s3:ListBucket"]
    resources = [module.query_results_bucket.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["results/*"]
    }
  }
  statement {
    sid = "WriteAndReadQueryResults"
    actions = [
      "s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
    ]
    resources = ["${module.query_results_bucket.arn}/results/*"]
  }
}

resource "aws_iam_policy" "query" {
  name        = "${local.name_prefix}-query"
  description = "Query the curated zone of ${local.name_prefix} with Athena (workgroup ${aws_athena_workgroup.query.name}); attach to readers."
  policy      = data.aws_iam_policy_document.query.json
}
