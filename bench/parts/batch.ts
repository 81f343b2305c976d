/**
 * Part 4 (i), a queue batch. The events bundle (dist/functions/events.js) in a warm container with
 * serverless.yml's settings for it (FLAG_DEADLINE_MS 20000, BATCH_CONCURRENCY 10, 60 s timeout)
 * gets SQS batches of 10 records whose participants resolve after random delays (0..2 s). Per
 * batch: the handler's wall time, each record's own elapsedMs (from its log line), the slowest
 * record and the sum of all records. A batch that flags its records concurrently costs about its
 * slowest record; one that works through them in turn costs about the sum.
 */
import { randomUUID } from 'node:crypto';
import type { Bundles } from '../lib/build';
import { Container } from '../lib/container';
import type { Lab } from '../lib/lab';
import { table, type Section } from '../lib/report';
import { fmt, max, median } from '../lib/stats';

export interface BatchOptions {
  batches: number;
  records: number;
  maxDelayMs: number;
}

/** "About the slowest record": the batch's wall time within this factor of its slowest record. */
const ABOUT = 1.25;

export async function measureBatch(bundles: Bundles, lab: Lab, options: BatchOptions, log: (line: string) => void): Promise<Section> {
  const env = lab.env({ FLAG_DEADLINE_MS: '20000', BATCH_CONCURRENCY: '10', AWS_LAMBDA_FUNCTION_NAME: 'bench-events' });
  const container = await Container.start(bundles.events, env, { timeoutMs: 60_000 });
  try {
    log(`  ${options.batches} batches of ${options.records} records`);
    await container.batch(sqsEvent([bodyFor(lab, 0)]));
    const rows: (string | number)[][] = [];
    const ratios: number[] = [];
    let failures = 0;
    for (let b = 0; b < options.batches; b += 1) {
      const delays = Array.from({ length: options.records }, () => Math.round(Math.random() * options.maxDelayMs));
      const reply = await container.batch(sqsEvent(delays.map((d) => bodyFor(lab, d))));
      failures += reply.result.batchItemFailures.length;
      const elapsed = reply.lines
        .map((line) => JSON.parse(line) as { messageId?: string; elapsedMs?: number })
        .filter((line) => line.messageId && typeof line.elapsedMs === 'number')
        .map((line) => line.elapsedMs as number);
      if (elapsed.length === 0) throw new Error('the events function logged no per-record line with messageId and elapsedMs: cannot size the records');
      const slowest = max(elapsed);
      const sum = elapsed.reduce((a, e) => a + e, 0);
      ratios.push(reply.wallMs / slowest);
      rows.push([b + 1, `${options.records - reply.result.batchItemFailures.length}/${options.records}`, fmt(reply.wallMs), fmt(slowest), fmt(sum), (reply.wallMs / slowest).toFixed(2), (reply.wallMs / sum).toFixed(2)]);
    }
    const medianRatio = median(ratios);
    return {
      title: '4 (i). An SQS batch of 10 records',
      lines: [
        ...table(['batch', 'flagged', 'batch wall (ms)', 'slowest record (ms)', 'sum of records (ms)', 'wall / slowest', 'wall / sum'], rows),
        '',
        `Records' participants resolve after uniform random 0..${options.maxDelayMs} ms; BATCH_CONCURRENCY 10 as in serverless.yml. "About the slowest" is judged as a median wall / slowest of at most ${ABOUT}.`,
      ],
      targets: [
        {
          part: '4',
          name: 'a batch of 10 costs about the slowest record',
          target: `wall ≤ ${ABOUT}x slowest, all flagged`,
          measured: `median ${medianRatio.toFixed(2)}x slowest; ${failures} records not flagged`,
          met: medianRatio <= ABOUT && failures === 0,
        },
      ],
    };
  } finally {
    await container.close();
  }
}

function bodyFor(lab: Lab, resolveAfterMs: number): string {
  const { conversationId, participantId } = lab.conversation(resolveAfterMs);
  return JSON.stringify({ conversationId, participantId, attributes: { compliance_checked: 'true' } });
}

function sqsEvent(bodies: string[]): unknown {
  return {
    Records: bodies.map((body) => ({
      messageId: randomUUID(),
      receiptHandle: 'bench',
      body,
      attributes: {},
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:bench',
      awsRegion: 'us-east-1',
    })),
  };
}
