# GitHub Actions' access to this account, by OIDC (no stored keys): the identity provider for
# token.actions.githubusercontent.com and, per environment, two roles the workflows assume
# (.github/workflows/deploy.yml):
#   <project>-<env>-github-plan    pull requests of var.github_repository: read the stack and its state (plan
#                                  runs with -lock=false), never write, never read a secret's value;
#   <project>-<env>-github-deploy  only jobs of var.github_repository running in the GitHub environment <env>
#                                  (prod's has required reviewers): create/change/delete resources named
#                                  <project>-<env>-*, write that environment's state object and lock file.
# Trust: audience sts.amazonaws.com and the exact `sub` claim (repository + pull_request or environment).
# Resource ARNs are scoped to the environment's name prefix; actions AWS authorises only on "*" (listing,
# validation, log delivery) and API Gateway/CloudFront (ids AWS picks) are the exceptions, each named below.

locals {
  github       = var.github_repository != ""
  create_oidc  = local.github && var.github_oidc_provider_arn == ""
  oidc_arn     = local.create_oidc ? aws_iam_openid_connect_provider.github[0].arn : var.github_oidc_provider_arn
  github_envs  = local.github ? toset(var.environments) : toset([])
  region       = var.region
  arn_prefix   = "arn:${local.partition}"
  state_prefix = "${module.state_bucket.arn}/${var.project}"
}

resource "aws_iam_openid_connect_provider" "github" {
  count          = local.create_oidc ? 1 : 0
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
  # AWS trusts GitHub's certificate chain itself; the thumbprint is kept for older API callers.
  thumbprint_list = ["6938fd4d98bab03faadb97b34396831e3780aea1"]
}

locals {
  # Two roles per environment, "<env>-plan" and "<env>-deploy".
  github_roles = {
    for pair in setproduct(tolist(local.github_envs), ["plan", "deploy"]) :
    "${pair[0]}-${pair[1]}" => { env = pair[0], kind = pair[1] }
  }
}

data "aws_iam_policy_document" "github_trust" {
  for_each = local.github_roles
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values = [each.value.kind == "plan"
        ? "repo:${var.github_repository}:pull_request"
      : "repo:${var.github_repository}:environment:${each.value.env}"]
    }
  }
}

locals {
  # Per environment: the ARNs of everything the stack names <project>-<env>-..., per service.
  scoped = {
    for env in local.github_envs : env => {
      prefix = "${var.project}-${env}"
      lambda = [
        "${local.arn_prefix}:lambda:${local.region}:${local.account_id}:function:${var.project}-${env}-*",
        "${local.arn_prefix}:lambda:${local.region}:${local.account_id}:layer:${var.project}-${env}-*",
      ]
      states   = ["${local.arn_prefix}:states:${local.region}:${local.account_id}:stateMachine:${var.project}-${env}-*"]
      dynamodb = ["${local.arn_prefix}:dynamodb:${local.region}:${local.account_id}:table/${var.project}-${env}-*"]
      s3       = ["${local.arn_prefix}:s3:::${var.project}-${env}-*"]
      iam = [
        "${local.arn_prefix}:iam::${local.account_id}:role/${var.project}-${env}-*",
      ]
      logs = [
        for group in ["/aws/lambda/", "/aws/vendedlogs/states/", "/aws/apigateway/"] :
        "${local.arn_prefix}:logs:${local.region}:${local.account_id}:log-group:${group}${var.project}-${env}-*"
      ]
      sns            = ["${local.arn_prefix}:sns:${local.region}:${local.account_id}:${var.project}-${env}-*"]
      sqs            = ["${local.arn_prefix}:sqs:${local.region}:${local.account_id}:${var.project}-${env}-*"]
      events         = ["${local.arn_prefix}:events:${local.region}:${local.account_id}:rule/${var.project}-${env}-*"]
      scheduler      = ["${local.arn_prefix}:scheduler:${local.region}:${local.account_id}:schedule/default/${var.project}-${env}-*"]
      secretsmanager = ["${local.arn_prefix}:secretsmanager:${local.region}:${local.account_id}:secret:${var.project}-${env}/*"]
      cloudwatch = [
        "${local.arn_prefix}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.project}-${env}-*",
        "${local.arn_prefix}:cloudwatch::${local.account_id}:dashboard/${var.project}-${env}-*",
      ]
      # API Gateway and CloudFront ids are chosen by AWS, so names cannot scope them: REST APIs of this
      # region, the account's API Gateway settings (its CloudWatch role), distributions and origin access controls.
      apigateway = [
        "${local.arn_prefix}:apigateway:${local.region}::/restapis",
        "${local.arn_prefix}:apigateway:${local.region}::/restapis/*",
        "${local.arn_prefix}:apigateway:${local.region}::/account",
        "${local.arn_prefix}:apigateway:${local.region}::/tags/*",
      ]
      cloudfront = [
        "${local.arn_prefix}:cloudfront::${local.account_id}:distribution/*",
        "${local.arn_prefix}:cloudfront::${local.account_id}:origin-access-control/*",
      ]
    }
  }

  # Read actions (plan and deploy) and write actions (deploy only) per service, as the AWS provider calls them.
  read_actions = {
    lambda = ["lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:GetFunctionCodeSigningConfig",
      "lambda:GetFunctionConcurrency", "lambda:GetFunctionEventInvokeConfig", "lambda:GetPolicy",
      "lambda:GetAlias", "lambda:ListAliases", "lambda:ListVersionsByFunction", "lambda:ListTags",
    "lambda:GetLayerVersion", "lambda:ListLayerVersions", "lambda:GetRuntimeManagementConfig"]
    states = ["states:DescribeStateMachine", "states:DescribeStateMachineAlias", "states:ListStateMachineVersions",
    "states:ListStateMachineAliases", "states:ListTagsForResource"]
    dynamodb = ["dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive",
    "dynamodb:ListTagsOfResource"]
    s3 = ["s3:GetBucket*", "s3:GetAccelerateConfiguration", "s3:GetEncryptionConfiguration",
      "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration", "s3:GetInventoryConfiguration",
    "s3:GetObject", "s3:GetObjectTagging", "s3:ListBucket"]
    iam = ["iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole", "iam:ListRoleTags"]
    logs = ["logs:ListTagsForResource", "logs:ListTagsLogGroup", "logs:DescribeMetricFilters"]
    sns = ["sns:GetTopicAttributes", "sns:GetSubscriptionAttributes", "sns:ListSubscriptionsByTopic",
    "sns:ListTagsForResource"]
    sqs            = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ListQueueTags"]
    events         = ["events:DescribeRule", "events:ListTargetsByRule", "events:ListTagsForResource"]
    scheduler      = ["scheduler:GetSchedule", "scheduler:ListTagsForResource"]
    secretsmanager = ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"]
    cloudwatch     = ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource", "cloudwatch:GetDashboard"]
    apigateway     = ["apigateway:GET"]
    cloudfront = ["cloudfront:GetDistribution", "cloudfront:GetDistributionConfig", "cloudfront:ListTagsForResource",
    "cloudfront:GetOriginAccessControl"]
  }
  write_actions = {
    lambda = ["lambda:CreateFunction", "lambda:DeleteFunction", "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration", "lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency",
      "lambda:PutFunctionEventInvokeConfig", "lambda:DeleteFunctionEventInvokeConfig", "lambda:AddPermission",
      "lambda:RemovePermission", "lambda:PublishVersion", "lambda:CreateAlias", "lambda:UpdateAlias",
      "lambda:DeleteAlias", "lambda:TagResource", "lambda:UntagResource", "lambda:PublishLayerVersion",
    "lambda:DeleteLayerVersion"]
    states = ["states:CreateStateMachine", "states:UpdateStateMachine", "states:DeleteStateMachine",
      "states:PublishStateMachineVersion", "states:DeleteStateMachineVersion", "states:CreateStateMachineAlias",
    "states:UpdateStateMachineAlias", "states:DeleteStateMachineAlias", "states:TagResource", "states:UntagResource"]
    dynamodb = ["dynamodb:CreateTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable",
      "dynamodb:UpdateContinuousBackups", "dynamodb:UpdateTimeToLive", "dynamodb:TagResource",
    "dynamodb:UntagResource"]
    s3 = ["s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucket*", "s3:DeleteBucketPolicy", "s3:DeleteBucketWebsite",
      "s3:PutAccelerateConfiguration", "s3:PutEncryptionConfiguration", "s3:PutLifecycleConfiguration",
    "s3:PutInventoryConfiguration", "s3:PutObject", "s3:PutObjectTagging", "s3:DeleteObject", "s3:DeleteObjectVersion"]
    iam = ["iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole",
    "iam:UntagRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy"]
    logs = ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
      "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:UntagLogGroup", "logs:PutMetricFilter",
    "logs:DeleteMetricFilter"]
    sns = ["sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:Unsubscribe",
    "sns:SetSubscriptionAttributes", "sns:TagResource", "sns:UntagResource"]
    sqs = ["sqs:CreateQueue", "sqs:DeleteQueue", "sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue"]
    events = ["events:PutRule", "events:DeleteRule", "events:EnableRule", "events:DisableRule", "events:PutTargets",
    "events:RemoveTargets", "events:TagResource", "events:UntagResource"]
    scheduler = ["scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule",
    "scheduler:TagResource", "scheduler:UntagResource"]
    secretsmanager = ["secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:UpdateSecret",
    "secretsmanager:TagResource", "secretsmanager:UntagResource"]
    cloudwatch = ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource",
    "cloudwatch:UntagResource", "cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"]
    apigateway = ["apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"]
    cloudfront = ["cloudfront:CreateDistribution", "cloudfront:CreateDistributionWithTags",
      "cloudfront:UpdateDistribution", "cloudfront:DeleteDistribution", "cloudfront:TagResource",
      "cloudfront:UntagResource", "cloudfront:CreateOriginAccessControl", "cloudfront:UpdateOriginAccessControl",
    "cloudfront:DeleteOriginAccessControl"]
  }
  # Actions AWS authorises only on Resource "*" (no resource-level permissions).
  unscoped_read = ["logs:DescribeLogGroups", "states:ValidateStateMachineDefinition", "cloudfront:ListCachePolicies"]
  # Step Functions' execution logging ("vended logs"): the caller that creates or updates a state machine
  # with a log destination needs these, on "*" (AWS's documented policy).
  unscoped_write = ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
  "logs:DescribeResourcePolicies"]
}

data "aws_iam_policy_document" "github_plan" {
  for_each = local.github_envs
  dynamic "statement" {
    for_each = local.read_actions
    content {
      sid       = "Read${replace(title(statement.key), "manager", "Manager")}"
      actions   = statement.value
      resources = local.scoped[each.key][statement.key]
    }
  }
  statement {
    sid       = "ReadUnscoped"
    actions   = local.unscoped_read
    resources = ["*"]
  }
  statement {
    sid       = "ReadState"
    actions   = ["s3:GetObject"]
    resources = ["${local.state_prefix}/${each.key}/terraform.tfstate"]
  }
  statement {
    # Key names only: `terraform init` lists workspaces under env:/ as well as the state's own prefix.
    sid       = "ListStateBucket"
    actions   = ["s3:ListBucket"]
    resources = [module.state_bucket.arn]
  }
}

data "aws_iam_policy_document" "github_deploy" {
  for_each = local.github_envs
  dynamic "statement" {
    for_each = local.read_actions
    content {
      sid       = "Manage${replace(title(statement.key), "manager", "Manager")}"
      actions   = concat(statement.value, local.write_actions[statement.key])
      resources = local.scoped[each.key][statement.key]
    }
  }
  statement {
    sid       = "Unscoped"
    actions   = concat(local.unscoped_read, local.unscoped_write)
    resources = ["*"]
  }
  statement {
    # The stack's roles are handed only to the services that run as them.
    sid       = "PassStackRoles"
    actions   = ["iam:PassRole"]
    resources = local.scoped[each.key].iam
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["lambda.amazonaws.com", "states.amazonaws.com", "scheduler.amazonaws.com", "events.amazonaws.com", "apigateway.amazonaws.com"]
    }
  }
  statement {
    # The one managed policy the stack attaches (API Gateway's CloudWatch logging role).
    sid       = "AttachApiGatewayLogging"
    actions   = ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
    resources = local.scoped[each.key].iam
    condition {
      test     = "ArnEquals"
      variable = "iam:PolicyARN"
      values   = ["${local.arn_prefix}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]
    }
  }
  statement {
    sid       = "WriteStateAndLock"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.state_prefix}/${each.key}/terraform.tfstate", "${local.state_prefix}/${each.key}/terraform.tfstate.tflock"]
  }
  statement {
    # Key names only: `terraform init` lists workspaces under env:/ as well as the state's own prefix.
    sid       = "ListStateBucket"
    actions   = ["s3:ListBucket"]
    resources = [module.state_bucket.arn]
  }
}

resource "aws_iam_role" "github" {
  for_each = local.github_roles
  name     = "${var.project}-${each.value.env}-github-${each.value.kind}"
  description = (each.value.kind == "plan"
    ? "GitHub Actions (${var.github_repository}, pull requests): terraform plan of ${each.value.env}, read only."
    : "GitHub Actions (${var.github_repository}, environment ${each.value.env}): terraform apply of ${each.value.env}."
  )
  assume_role_policy   = data.aws_iam_policy_document.github_trust[each.key].json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "github" {
  for_each = local.github_roles
  name     = "terraform-${each.value.kind}"
  role     = aws_iam_role.github[each.key].id
  policy = (each.value.kind == "plan"
    ? data.aws_iam_policy_document.github_plan[each.value.env].json
    : data.aws_iam_policy_document.github_deploy[each.value.env].json
  )
}

# The plan and deploy roles were two resources each until one for_each: an applied bootstrap's roles move to
# their "<env>-<kind>" keys (environments are dev, staging and prod only, so these are all the moves).
moved {
  from = aws_iam_role.github_plan["dev"]
  to   = aws_iam_role.github["dev-plan"]
}

moved {
  from = aws_iam_role_policy.github_plan["dev"]
  to   = aws_iam_role_policy.github["dev-plan"]
}

moved {
  from = aws_iam_role.github_deploy["dev"]
  to   = aws_iam_role.github["dev-deploy"]
}

moved {
  from = aws_iam_role_policy.github_deploy["dev"]
  to   = aws_iam_role_policy.github["dev-deploy"]
}

moved {
  from = aws_iam_role.github_plan["staging"]
  to   = aws_iam_role.github["staging-plan"]
}

moved {
  from = aws_iam_role_policy.github_plan["staging"]
  to   = aws_iam_role_policy.github["staging-plan"]
}

moved {
  from = aws_iam_role.github_deploy["staging"]
  to   = aws_iam_role.github["staging-deploy"]
}

moved {
  from = aws_iam_role_policy.github_deploy["staging"]
  to   = aws_iam_role_policy.github["staging-deploy"]
}

moved {
  from = aws_iam_role.github_plan["prod"]
  to   = aws_iam_role.github["prod-plan"]
}

moved {
  from = aws_iam_role_policy.github_plan["prod"]
  to   = aws_iam_role_policy.github["prod-plan"]
}

moved {
  from = aws_iam_role.github_deploy["prod"]
  to   = aws_iam_role.github["prod-deploy"]
}

moved {
  from = aws_iam_role_policy.github_deploy["prod"]
  to   = aws_iam_role_policy.github["prod-deploy"]
}
