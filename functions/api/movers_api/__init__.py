"""The stock-movers read API: Powertools resolver, small route modules, one error mapping.

Kept light on purpose (cold start): no pyarrow, no boto3 until the first DynamoDB call, no X-Ray SDK unless
tracing is switched on.
"""
