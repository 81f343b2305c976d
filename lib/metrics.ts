/**
 * CloudWatch metrics as Embedded Metric Format: the fields below, added to the one log line an
 * invocation writes anyway, make CloudWatch Logs extract the metrics. No SDK, no extra request,
 * no extra line. The alarms (infra/aws/alarms.yml) and the dashboard read exactly these names.
 */
import type { LogFields } from './log';
import type { FlagResult } from './core/flag-result';

export interface MetricsOptions {
  namespace: string;
  /** The Lambda function's name (AWS_LAMBDA_FUNCTION_NAME), a dimension so each door can be told apart. */
  functionName: string;
}

const METRIC_NAMES = { flags: 'Flags', attempts: 'Attempts', elapsed: 'ElapsedMs' } as const;

export function emfFields(result: FlagResult, options: MetricsOptions, nowMs: number): LogFields {
  return {
    _aws: {
      Timestamp: nowMs,
      CloudWatchMetrics: [
        {
          Namespace: options.namespace,
          // By status across the stack (alarms, dashboard), and per function.
          Dimensions: [['Status'], ['FunctionName', 'Status']],
          Metrics: [
            { Name: METRIC_NAMES.flags, Unit: 'Count' },
            { Name: METRIC_NAMES.attempts, Unit: 'Count' },
            { Name: METRIC_NAMES.elapsed, Unit: 'Milliseconds' },
          ],
        },
      ],
    },
    Status: result.status,
    FunctionName: options.functionName,
    [METRIC_NAMES.flags]: 1,
    [METRIC_NAMES.attempts]: result.attempts,
    [METRIC_NAMES.elapsed]: result.elapsedMs,
  };
}
