#!/usr/bin/env bash
# Lints the infrastructure with the tools this machine has, and says which checks ran.
# Neither tool is required (a fresh machine may lack both), so neither is part of `npm test`.
set -uo pipefail
cd "$(dirname "$0")/.."
template=.serverless/cloudformation-template-update-stack.json
status=0
ran=()
skipped=()

if command -v cfn-lint >/dev/null 2>&1; then
  # Always re-rendered (about 3 s): a template left from an earlier serverless.yml or infra/aws
  # would be linted in place of the one that deploys.
  if ! render_log=$(npm run --silent package 2>&1); then
    echo "$render_log"
    echo "infra checks: could not render the template (npm run package failed)"
    exit 1
  fi
  # W3005: osls adds DependsOn next to the GetAtt/Ref that already orders those resources; harmless.
  # Three times: with the parameters' defaults, with every optional parameter set, and with a token
  # per container (tokenMode=false: no token secret, no rotation function or role).
  if cfn-lint --ignore-checks W3005 -- "$template"; then ran+=("cfn-lint, defaults (clean)"); else ran+=("cfn-lint, defaults (FAILED)"); status=1; fi
  if cfn-lint --ignore-checks W3005 --parameter-files infra/aws/guardrails.params.json -- "$template"; then
    ran+=("cfn-lint, every optional parameter set (clean)")
  else
    ran+=("cfn-lint, every optional parameter set (FAILED)"); status=1
  fi
  if cfn-lint --ignore-checks W3005 --parameter-files infra/aws/token-per-container.params.json -- "$template"; then
    ran+=("cfn-lint, tokenMode=false (clean)")
  else
    ran+=("cfn-lint, tokenMode=false (FAILED)"); status=1
  fi
else
  skipped+=("cfn-lint")
fi

if command -v terraform >/dev/null 2>&1; then
  if terraform fmt -check -recursive infra/genesys 2>/dev/null; then ran+=("terraform fmt -check (clean)"); else ran+=("terraform fmt -check (FAILED)"); status=1; fi
else
  skipped+=("terraform")
fi

echo "infra checks ran: ${ran[*]:-none}"
[ ${#skipped[@]} -eq 0 ] || echo "infra checks skipped (not on this machine): ${skipped[*]}"
exit $status
