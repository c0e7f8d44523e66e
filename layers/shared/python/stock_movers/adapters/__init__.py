"""Adapters: every AWS call of the pipeline (DynamoDB, S3, Secrets Manager), behind small classes."""
