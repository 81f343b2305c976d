# The Genesys Cloud side, as code (CX as Code provider): the AWS Lambda data actions integration
# with its role credential and the "Flag participant" action, plus an optional Web Services
# variant that calls the webhook. Contracts come from infra/contracts, the same files the
# function's tests check, so the action and the function cannot disagree.

locals {
  input_contract  = file(coalesce(var.input_contract_file, "${path.module}/../contracts/flag-participant.input.json"))
  output_contract = file("${path.module}/../contracts/flag-participant.output.json")
  webhook_enabled = var.webhook_url != ""
  # The data action path's timeouts, from the one file the function (FLAG_DEADLINE_MS), the Lambda
  # (serverless.yml), the importable actions and the example flow read too. There is deliberately no
  # variable to override one of them here: an override of the action's timeout alone, with the flow
  # keeping its own, is how the nesting breaks. Change timeouts.json and every reader follows.
  timeouts = jsondecode(file("${path.module}/../contracts/timeouts.json"))
  # The innermost answers first: deadline < Lambda timeout < action timeout (at most 60 s) < flow's.
  # The tests refuse a file that does not nest; this stops an apply of one edited without them.
  timeouts_nest = local.timeouts.functionDeadlineMs < local.timeouts.lambdaTimeoutSeconds * 1000 && local.timeouts.lambdaTimeoutSeconds < local.timeouts.actionTimeoutSeconds && local.timeouts.actionTimeoutSeconds <= 60 && local.timeouts.actionTimeoutSeconds < local.timeouts.flowTimeoutSeconds
}

# ----- AWS Lambda data action -----

resource "genesyscloud_integration_credential" "lambda_role" {
  name                 = "${var.name_prefix} - Lambda invoke role"
  credential_type_name = "amazonWebServicesARN"
  fields = {
    ARN = var.genesys_invoke_role_arn
  }
}

resource "genesyscloud_integration" "lambda" {
  intended_state   = "ENABLED"
  integration_type = "aws-lambda-data-actions"
  config {
    name        = "${var.name_prefix} - Lambda"
    properties  = jsonencode({})
    advanced    = jsonencode({})
    credentials = { AmazonWebServicesARN = genesyscloud_integration_credential.lambda_role.id }
    notes       = "Invokes genesys-participant-flagger through the role Genesys assumes (ExternalId = org id)"
  }
}

# The action names are those of the importable actions (scripts/contracts.ts, ACTION_NAMES) and the
# one the example flow calls, so the Terraform and the by-hand routes give flows the same names.
resource "genesyscloud_integration_action" "flag_participant" {
  name                   = "Flag participant"
  category               = genesyscloud_integration.lambda.config[0].name
  integration_id         = genesyscloud_integration.lambda.id
  secure                 = false
  config_timeout_seconds = local.timeouts.actionTimeoutSeconds
  # Changing a contract re-creates the action with a new id: flows that use it must be republished.
  contract_input  = local.input_contract
  contract_output = local.output_contract
  config_request {
    request_url_template = var.data_action_function_arn
    request_type         = "POST"
    request_template     = "$${input.rawRequest}"
    headers              = {}
  }
  config_response {
    translation_map          = {}
    translation_map_defaults = {}
    success_template         = "$${rawResult}"
  }
  lifecycle {
    precondition {
      condition     = local.timeouts_nest
      error_message = "infra/contracts/timeouts.json must nest: functionDeadlineMs < lambdaTimeoutSeconds < actionTimeoutSeconds (at most 60) < flowTimeoutSeconds."
    }
  }
}

# ----- Web Services variant: the same action through the HTTPS webhook -----

resource "genesyscloud_integration_credential" "webhook_token" {
  count                = local.webhook_enabled ? 1 : 0
  name                 = "${var.name_prefix} - webhook token"
  credential_type_name = "userDefined"
  fields = {
    token = var.webhook_token
  }
}

resource "genesyscloud_integration" "webhook" {
  count            = local.webhook_enabled ? 1 : 0
  intended_state   = "ENABLED"
  integration_type = "custom-rest-actions"
  config {
    name        = "${var.name_prefix} - Web Services"
    properties  = jsonencode({})
    advanced    = jsonencode({})
    credentials = { basicAuth = genesyscloud_integration_credential.webhook_token[0].id }
    notes       = "Calls the genesys-participant-flagger webhook with its bearer token"
  }
}

resource "genesyscloud_integration_action" "flag_participant_webhook" {
  count                  = local.webhook_enabled ? 1 : 0
  name                   = "Flag participant (webhook)"
  category               = genesyscloud_integration.webhook[0].config[0].name
  integration_id         = genesyscloud_integration.webhook[0].id
  secure                 = false
  config_timeout_seconds = local.timeouts.actionTimeoutSeconds
  contract_input         = local.input_contract
  contract_output        = local.output_contract
  config_request {
    request_url_template = var.webhook_url
    request_type         = "POST"
    request_template     = "$${input.rawRequest}"
    headers = {
      Authorization  = "Bearer $${credentials.token}"
      "Content-Type" = "application/json"
    }
  }
  config_response {
    translation_map          = {}
    translation_map_defaults = {}
    success_template         = "$${rawResult}"
  }
}
