# The read API: the API function, and an API Gateway REST API built from docs/openapi.json (the one OpenAPI
# source, generated from the function's Powertools routes by `make openapi`). Every path and method of the
# document gets a Lambda proxy integration here, so deployed routes cannot drift from the code's routes.

module "fn_api" {
  source      = "./modules/function"
  name_prefix = local.name_prefix
  name        = "api"
  zip_path    = "${local.dist_dir}/functions/api.zip"
  layer_arns  = concat(local.base_layers, [aws_lambda_layer_version.layer["pydantic"].arn])
  environment = merge(local.env_main_table, {
    POWERTOOLS_SERVICE_NAME = "movers-api"
    CORS_ALLOW_ORIGIN       = var.api_cors_allow_origin
  })
  timeout     = 10
  memory_size = 256
  policy_statements = [{
    sid       = "ReadTable"
    actions   = ["dynamodb:Query", "dynamodb:GetItem"]
    resources = [aws_dynamodb_table.main.arn]
  }]
  common = local.fn_common
}

locals {
  api_spec = jsondecode(file("${path.module}/../docs/openapi.json"))

  api_proxy_integration = {
    type                = "aws_proxy"
    httpMethod          = "POST" # Lambda is always invoked with POST, whatever the client's method
    uri                 = module.fn_api.invoke_arn
    passthroughBehavior = "when_no_match"
  }

  api_cors_origin = "'${var.api_cors_allow_origin}'"

  # CORS preflight answered by API Gateway itself (mock integration): no Lambda call for OPTIONS.
  api_preflight = {
    summary = "CORS preflight"
    responses = {
      "200" = {
        description = "CORS preflight"
        headers = {
          "Access-Control-Allow-Origin"  = { schema = { type = "string" } }
          "Access-Control-Allow-Methods" = { schema = { type = "string" } }
          "Access-Control-Allow-Headers" = { schema = { type = "string" } }
          "Access-Control-Max-Age"       = { schema = { type = "string" } }
        }
      }
    }
    "x-amazon-apigateway-integration" = {
      type                = "mock"
      passthroughBehavior = "when_no_match"
      requestTemplates    = { "application/json" = "{\"statusCode\": 200}" }
      responses = {
        default = {
          statusCode = "200"
          responseParameters = {
            "method.response.header.Access-Control-Allow-Origin"  = local.api_cors_origin
            "method.response.header.Access-Control-Allow-Methods" = "'GET,OPTIONS'"
            "method.response.header.Access-Control-Allow-Headers" = "'Content-Type,If-None-Match'"
            "method.response.header.Access-Control-Max-Age"       = "'600'"
          }
        }
      }
      # The same body locally and on AWS: movers/local/compat.py lets moto import a mock integration
      # without httpMethod/uri, as API Gateway does.
    }
  }

  # Per path: each documented operation, GET and its HEAD twin (parameters and response descriptions kept,
  # schemas dropped: API Gateway reads OpenAPI 3.0 models as JSON Schema draft 4, and validation happens in
  # the function), the preflight, and ANY other method to the function so that it answers 405 with Allow.
  api_paths = {
    for path, operations in local.api_spec.paths : path => merge(
      {
        for method, op in operations : method => {
          operationId = op.operationId
          summary     = try(op.summary, method)
          parameters = [
            for p in try(op.parameters, []) : {
              name     = p.name
              in       = p.in
              required = try(p.required, false)
              schema   = { type = try(p.schema.type, "string") }
            }
          ]
          responses                         = { for code, r in op.responses : code => { description = r.description } }
          "x-amazon-apigateway-integration" = local.api_proxy_integration
        }
      },
      {
        options = local.api_preflight
        "x-amazon-apigateway-any-method" = {
          responses                         = { "405" = { description = "Method not allowed" } }
          "x-amazon-apigateway-integration" = local.api_proxy_integration
        }
      }
    )
  }

  # Errors API Gateway answers itself (no such resource, throttling, request too large, ...) carry the
  # function's one error shape {"error", "message"}. A path that is no resource is a 404 NotFound, as the
  # function answers it, instead of API Gateway's 403 "Missing Authentication Token" (the API has no auth).
  # movers/local/apigw.py answers the same.
  api_error_headers = {
    "gatewayresponse.header.Access-Control-Allow-Origin" = local.api_cors_origin
    "gatewayresponse.header.Cache-Control"               = "'no-store'"
  }
  api_gateway_responses = {
    MISSING_AUTHENTICATION_TOKEN = {
      statusCode         = "404"
      responseParameters = local.api_error_headers
      responseTemplates  = { "application/json" = jsonencode({ error = "NotFound", message = "no such route" }) }
    }
    DEFAULT_4XX = {
      responseParameters = local.api_error_headers
      # $context.error.messageString is the message already quoted as a JSON string.
      responseTemplates = {
        "application/json" = "{\"error\":\"$context.error.responseType\",\"message\":$context.error.messageString}"
      }
    }
  }

  api_body = jsonencode({
    openapi = "3.0.1"
    info = {
      title       = "${local.name_prefix}-api"
      version     = local.api_spec.info.version
      description = try(local.api_spec.info.description, "")
    }
    paths                                   = local.api_paths
    "x-amazon-apigateway-gateway-responses" = local.api_gateway_responses
  })
}

resource "aws_api_gateway_rest_api" "api" {
  #checkov:skip=CKV_AWS_237:the deployment (not the API) is create_before_destroy; the REST API is updated in place from the OpenAPI body
  name              = "${local.name_prefix}-api"
  description       = "stock-movers read API (built from docs/openapi.json)"
  body              = local.api_body
  put_rest_api_mode = "overwrite"

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_deployment" "api" {
  rest_api_id = aws_api_gateway_rest_api.api.id

  # A new deployment whenever the API definition changes (the body is the whole definition).
  triggers = {
    redeployment = sha256(local.api_body)
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "api_access" {
  #checkov:skip=CKV_AWS_158:log data holds no secrets (the API key never reaches logs, tested); CloudWatch Logs encrypts it with an AWS key; a customer key adds key-policy operations
  #checkov:skip=CKV_AWS_338:retention is var.log_retention_days per environment (1-90 days): cost over a year of debug logs; the audit trail in DynamoDB is the kept record
  name              = "/aws/apigateway/${local.name_prefix}-api/access"
  retention_in_days = var.log_retention_days
}

data "aws_iam_policy_document" "apigw_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
    # Confused-deputy guard: a request naming another account is refused. ...IfExists, not StringEquals as on
    # the other service roles: AWS documents this role's trust with no condition and does not say that API
    # Gateway sends aws:SourceAccount when it assumes it (nor any aws:SourceArn: the role is account-wide).
    # A plain StringEquals on a missing key would fail aws_api_gateway_account's role check and stop logging.
    condition {
      test     = "StringEqualsIfExists"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "apigw_cloudwatch" {
  count              = var.api_manage_cloudwatch_role ? 1 : 0
  name               = "${local.name_prefix}-apigw-cloudwatch"
  assume_role_policy = data.aws_iam_policy_document.apigw_assume.json
}

resource "aws_iam_role_policy_attachment" "apigw_cloudwatch" {
  count      = var.api_manage_cloudwatch_role ? 1 : 0
  role       = aws_iam_role.apigw_cloudwatch[0].name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  count               = var.api_manage_cloudwatch_role ? 1 : 0
  cloudwatch_role_arn = aws_iam_role.apigw_cloudwatch[0].arn
  depends_on          = [aws_iam_role_policy_attachment.apigw_cloudwatch]
}

resource "aws_api_gateway_stage" "v1" {
  #checkov:skip=CKV_AWS_120:responses carry ETag/Cache-Control and the data changes once a day; stage caching is a paid cache cluster
  #checkov:skip=CKV_AWS_73:X-Ray tracing is var.tracing_enabled (on in prod.tfvars); checkov cannot resolve the variable
  #checkov:skip=CKV2_AWS_4:execution logging is deliberately OFF (it would log request bodies); JSON access logs are on
  #checkov:skip=CKV2_AWS_51:a public read-only API for browsers: client certificates do not apply
  #checkov:skip=CKV2_AWS_29:a public read-only API with stage throttling; WAF is an account-level add-on (docs/operations.md)
  rest_api_id          = aws_api_gateway_rest_api.api.id
  deployment_id        = aws_api_gateway_deployment.api.id
  stage_name           = "v1"
  xray_tracing_enabled = var.tracing_enabled

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId      = "$context.requestId"
      ip             = "$context.identity.sourceIp"
      requestTime    = "$context.requestTime"
      httpMethod     = "$context.httpMethod"
      resourcePath   = "$context.resourcePath"
      path           = "$context.path"
      status         = "$context.status"
      responseLength = "$context.responseLength"
      latencyMs      = "$context.responseLatency"
      integrationMs  = "$context.integrationLatency"
      errorMessage   = "$context.error.message"
    })
  }

  depends_on = [aws_api_gateway_account.this]
}

resource "aws_api_gateway_method_settings" "all" {
  #checkov:skip=CKV_AWS_225:see the stage: no paid cache cluster; clients cache with ETag/Cache-Control
  rest_api_id = aws_api_gateway_rest_api.api.id
  stage_name  = aws_api_gateway_stage.v1.stage_name
  method_path = "*/*"

  settings {
    throttling_burst_limit = var.api_throttle_burst
    throttling_rate_limit  = var.api_throttle_rate
    metrics_enabled        = true
    logging_level          = "OFF" # access logs above; execution logs would log request bodies
  }
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowApiGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = module.fn_api.function_name
  qualifier     = module.fn_api.alias_name # the integration invokes the live alias
  principal     = "apigateway.amazonaws.com"
  # Any stage, method and path of this API only. Built from the account id rather than the provider's
  # execution_arn, which has an empty account locally (skip_requesting_account_id): the local AWS enforces
  # this permission, and an ARN with no account would match no API.
  source_arn = "arn:aws:execute-api:${var.region}:${local.account_id}:${aws_api_gateway_rest_api.api.id}/*/*/*"
}
