variable "name_prefix" {
  description = "Prefix of the integration and action names in Genesys Cloud"
  type        = string
  default     = "Participant flagger"
}

variable "data_action_function_arn" {
  description = "ARN of the data action Lambda (stack output DataActionFunctionArn)"
  type        = string
}

variable "genesys_invoke_role_arn" {
  description = "ARN of the IAM role Genesys assumes to invoke the function (stack output GenesysInvokeRoleArn)"
  type        = string
}

variable "input_contract_file" {
  description = "Input contract, generated from infra/contracts/attributes.json by `npm run contracts`"
  type        = string
  default     = null
}

variable "webhook_url" {
  description = "The webhook's POST /flag URL (stack output HttpApiUrl + /flag). Empty: no Web Services variant."
  type        = string
  default     = ""
}

variable "webhook_token" {
  description = "The webhook's bearer token (the secret string of the webhook token secret)"
  type        = string
  default     = ""
  sensitive   = true
}

variable "example_flow_queue" {
  description = "Queue the example flow (flows/verify-and-flag.yaml) transfers to. Empty: the flow is not published."
  type        = string
  default     = ""
}
