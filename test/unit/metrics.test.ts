/**
 * The one log line per result is also an Embedded Metric Format record: CloudWatch extracts
 * metrics only when the directive is well formed and every named metric and dimension is a
 * top-level field of the line.
 */
import { createFlagger } from '../../lib/flagger';
import { createLogger } from '../../lib/log';
import { emfFields } from '../../lib/metrics';
import type { FlagResult } from '../../lib/core/flag-result';

type Emf = { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] };

function linesOf(env: Record<string, string>, event: unknown) {
  const lines: string[] = [];
  const flagger = createFlagger(env, { logger: createLogger({ sink: (l) => lines.push(l) }) });
  return flagger
    .flag(event, { requestId: 'r1' })
    .then(() => lines.map((l) => JSON.parse(l) as Record<string, unknown>));
}

test('a result line carries a valid EMF directive with its status as a dimension', async () => {
  const lines = await linesOf(
    {
      GENESYS_CREDENTIALS_SECRET_ID: 'x',
      METRICS_NAMESPACE: 'GenesysParticipantFlagger/prod',
      AWS_LAMBDA_FUNCTION_NAME: 'flagger-prod-dataAction',
    },
    { conversationId: 'nope' },
  );
  expect(lines).toHaveLength(1);
  const line = lines[0] as Record<string, unknown> & { _aws: { Timestamp: number; CloudWatchMetrics: Emf[] } };
  expect(line).toMatchObject({
    status: 'INVALID_INPUT',
    Status: 'INVALID_INPUT',
    FunctionName: 'flagger-prod-dataAction',
    Flags: 1,
    Attempts: 0,
  });
  expect(Number.isInteger(line._aws.Timestamp)).toBe(true);
  const [directive] = line._aws.CloudWatchMetrics;
  expect(directive?.Namespace).toBe('GenesysParticipantFlagger/prod');
  for (const metric of directive?.Metrics ?? []) expect(typeof line[metric.Name]).toBe('number');
  for (const dimension of (directive?.Dimensions ?? []).flat()) expect(typeof line[dimension]).toBe('string');
  expect(directive?.Metrics.map((m) => m.Name)).toEqual(['Flags', 'Attempts', 'ElapsedMs']);
});

test('a misconfigured function still counts its CONFIG_ERROR results (the alarm depends on it)', async () => {
  const lines = await linesOf({}, { conversationId: 'x' });
  const result = lines.find((l) => l.status === 'CONFIG_ERROR');
  expect(result).toMatchObject({
    Status: 'CONFIG_ERROR',
    Flags: 1,
    _aws: { CloudWatchMetrics: [{ Namespace: 'GenesysParticipantFlagger' }] },
  });
});

test('a bad namespace is a configuration error', async () => {
  const lines = await linesOf({ GENESYS_CREDENTIALS_SECRET_ID: 'x', METRICS_NAMESPACE: 'AWS/Lambda' }, {});
  expect(lines.find((l) => l.status === 'CONFIG_ERROR')?.reason).toContain('METRICS_NAMESPACE');
});

test('emfFields: the directive, its dimensions and its three metrics as top-level fields of the result', () => {
  const result: FlagResult = {
    status: 'UPDATED',
    updated: true,
    attempts: 3,
    httpStatus: 202,
    elapsedMs: 1460,
    message: 'attributes set',
    correlationId: 'c',
    participantId: 'p',
  };
  expect(emfFields(result, { namespace: 'NS/dev', functionName: 'fn' }, 1_700_000_000_000)).toEqual({
    _aws: {
      Timestamp: 1_700_000_000_000,
      CloudWatchMetrics: [
        {
          Namespace: 'NS/dev',
          Dimensions: [['Status'], ['FunctionName', 'Status']],
          Metrics: [
            { Name: 'Flags', Unit: 'Count' },
            { Name: 'Attempts', Unit: 'Count' },
            { Name: 'ElapsedMs', Unit: 'Milliseconds' },
          ],
        },
      ],
    },
    Status: 'UPDATED',
    FunctionName: 'fn',
    Flags: 1,
    Attempts: 3,
    ElapsedMs: 1460,
  });
});
