output "function_name" {
  description = "Deployed function name."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "Function ARN (unqualified)."
  value       = aws_lambda_function.this.arn
}

output "alias_arn" {
  description = "ARN of the `live` alias: what state machines, schedules and rules invoke."
  value       = aws_lambda_alias.live.arn
}

output "alias_name" {
  description = "Name of the alias every caller invokes."
  value       = aws_lambda_alias.live.name
}

output "invoke_arn" {
  description = "ARN API Gateway uses to invoke the function's `live` alias."
  value       = aws_lambda_alias.live.invoke_arn
}

output "version" {
  description = "The version published by the latest change (the alias points here after a deploy)."
  value       = aws_lambda_function.this.version
}

output "role_name" {
  description = "Name of the function's execution role."
  value       = aws_iam_role.this.name
}

output "log_group_name" {
  description = "The function's CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.name
}
