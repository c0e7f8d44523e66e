output "id" {
  description = "Bucket name (the id other S3 resources take)."
  value       = local.bucket.id
}

output "bucket" {
  description = "Bucket name."
  value       = local.bucket.bucket
}

output "arn" {
  description = "Bucket ARN."
  value       = local.bucket.arn
}

output "bucket_regional_domain_name" {
  description = "Regional domain name (a CloudFront origin)."
  value       = local.bucket.bucket_regional_domain_name
}
