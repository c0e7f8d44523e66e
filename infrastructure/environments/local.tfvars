# The local stack (make demo, tests): every endpoint points at the local AWS. The stack's tools pass
# local_endpoint and provider_base_url for the ports they started.
environment         = "local"
lambda_architecture = "x86_64"
log_retention_days  = 1
# moto's account: the provider checks it as it checks a real one
allowed_account_ids = ["123456789012"]
sfn_log_level       = "ALL"
# a rotated (or, in tests, deliberately wrong) key takes effect on the next call
api_key_cache_seconds = 0
# moto's CloudFront does not round-trip a distribution (cache behaviour, origin, certificate come back
# changed: a perpetual diff), so the local stack hosts the page the seed's way: S3 website hosting.
frontend_hosting = "s3-website"
