// The CloudWatch dashboard body, built when osls renders dashboard.yml (file variable), from the
// metric names the function emits (lib/metrics.ts) and the stack's own resource names.

const SERVICE = 'genesys-participant-flagger';
// Same order as FLAG_STATUSES in lib/core/flag-result.ts (a test keeps them equal).
const STATUSES = [
  'UPDATED',
  'INVALID_INPUT',
  'PARTICIPANT_NOT_FOUND',
  'REJECTED',
  'AUTH_FAILED',
  'RATE_LIMITED',
  'UPSTREAM_ERROR',
  'TIMEOUT',
  'CONFIG_ERROR',
];
const FUNCTIONS = ['dataAction', 'events', 'webhook'];

function dashboard(stage, region) {
  const namespace = `GenesysParticipantFlagger/${stage}`;
  // API Gateway counts the webhook's 5xx by API id, which exists only once the stack is deployed and
  // this body is a plain string: the dashboard links to the alarm, whose page graphs that metric.
  const webhookAlarm = `${SERVICE}-${stage}-webhook-5xx`;
  const alarmUrl = (name) =>
    `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}` +
    `#alarmsV2:alarm/${encodeURIComponent(name)}`;
  const widget = (x, y, title, metrics, extra = {}) => ({
    type: 'metric',
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region, metrics, period: 60, view: 'timeSeries', ...extra },
  });
  return {
    widgets: [
      {
        type: 'text',
        x: 0,
        y: 0,
        width: 24,
        height: 2,
        properties: {
          markdown:
            `## ${SERVICE} (${stage})\nFlags by status, attempts per flag, time to flag, and what needs a person: ` +
            'AUTH_FAILED / CONFIG_ERROR (misconfiguration), the dead-letter queue, throttles, ' +
            `and the webhook's 5xx answers (alarm [${webhookAlarm}](${alarmUrl(webhookAlarm)})).`,
        },
      },
      widget(
        0,
        2,
        'Flags by status (per minute)',
        STATUSES.map((s) => [namespace, 'Flags', 'Status', s, { stat: 'Sum', label: s }]),
        { stacked: true },
      ),
      widget(12, 2, 'Time to flag, UPDATED (ms)', [
        [namespace, 'ElapsedMs', 'Status', 'UPDATED', { stat: 'p50', label: 'p50' }],
        [namespace, 'ElapsedMs', 'Status', 'UPDATED', { stat: 'p95', label: 'p95' }],
        [namespace, 'ElapsedMs', 'Status', 'UPDATED', { stat: 'Maximum', label: 'max' }],
      ]),
      widget(0, 8, 'Genesys requests per flag', [
        [namespace, 'Attempts', 'Status', 'UPDATED', { stat: 'Average', label: 'UPDATED, average' }],
        [namespace, 'Attempts', 'Status', 'UPDATED', { stat: 'p95', label: 'UPDATED, p95' }],
        [
          namespace,
          'Attempts',
          'Status',
          'PARTICIPANT_NOT_FOUND',
          { stat: 'Average', label: 'PARTICIPANT_NOT_FOUND, average' },
        ],
      ]),
      widget(12, 8, 'Needs a person', [
        [namespace, 'Flags', 'Status', 'AUTH_FAILED', { stat: 'Sum', label: 'AUTH_FAILED' }],
        [namespace, 'Flags', 'Status', 'CONFIG_ERROR', { stat: 'Sum', label: 'CONFIG_ERROR' }],
        [
          'AWS/SQS',
          'ApproximateNumberOfMessagesVisible',
          'QueueName',
          `${SERVICE}-${stage}-identity-verified-dlq`,
          { stat: 'Maximum', label: 'DLQ depth' },
        ],
        ...FUNCTIONS.map((f) => [
          'AWS/Lambda',
          'Throttles',
          'FunctionName',
          `${SERVICE}-${stage}-${f}`,
          { stat: 'Sum', label: `${f} throttles` },
        ]),
      ]),
    ],
  };
}

module.exports = { dashboard, STATUSES, FUNCTIONS };
module.exports.body = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  const region = await resolveVariable('self:provider.region');
  return JSON.stringify(dashboard(stage, region));
};
