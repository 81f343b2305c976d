/** docs/fault-matrix.md is the table of the fault matrix's rows: generated from them, and checked here. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HUNG_SECRET, show, type Row } from './matrix';
import { ROWS as answers } from './rows/answers';
import { ROWS as budget } from './rows/budget';
import { ROWS as bugs } from './rows/bugs';
import { ROWS as configuration } from './rows/configuration';
import { ROWS as participant } from './rows/participant';
import { ROWS as proxy } from './rows/proxy';
import { BATCH_ROWS } from './rows/queue';
import { ROWS as rateLimits } from './rows/rate-limits';
import { ROWS as secret } from './rows/secret';
import { ROWS as serverErrors } from './rows/server-errors';
import { ROWS as tokenMode } from './rows/token-mode';
import { ROWS as tokens } from './rows/tokens';

const DOC = path.join(__dirname, '../../../docs/fault-matrix.md');
/** Every row, in the order of the document. */
const ROWS: Row[] = [
  participant,
  rateLimits,
  serverErrors,
  answers,
  tokens,
  tokenMode,
  secret,
  budget,
  proxy,
  configuration,
  bugs,
].flat();

function renderDoc(): string {
  const cell = (text: string): string => text.replace(/\|/g, '\\|');
  const lines = [
    '# Fault matrix',
    '',
    'What the function answers, and exactly what it sends to Genesys, for each scripted fault. Every row is a',
    'case of the suites in [`test/integration/fault-matrix/`](../test/integration/fault-matrix/) (rows in `rows/`,',
    'one file per group), run over real sockets: the real axios client against the Genesys emulator and the real',
    'AWS SDK client against the Secrets Manager emulator. This file is generated from those rows, and',
    '`doc.test.ts` there fails when the two differ (`UPDATE_FAULT_MATRIX=1 npx jest test/integration/fault-matrix/doc`',
    'rewrites it).',
    '',
    'Settings unless a row says otherwise: `FAST_ENV` of `test/support/harness.ts` (deadline 3 s, attempt',
    'timeout 1 s, backoff and poll windows of 10, 20, 40, 40 … ms) with the jitter pinned to the middle of',
    'the window: waits of 7, 15, 30, 30 … ms after 429, 5xx and network faults (half of each window fixed) and',
    '9, 18, 36, 36 … ms while polling for a participant (80 % fixed); `FLAG_MIN_ATTEMPT_MS` 50,',
    '`FLAG_SAFETY_MARGIN_MS` 500, 10 s of Lambda time left. A row that shortens the deadline below 1 s has',
    'the attempt timeout cut to it (the configuration refuses an attempt timeout above the deadline) unless',
    'it sets one. A "warm" flagger starts with the secret and a',
    'token cached (counts start after a warm-up flag); a cold one reads the secret and requests a token first.',
    'In the token mode rows the flagger reads a token the emulator issued from its token secret and never mints',
    'one, with `SECRET_MIN_REFRESH_INTERVAL_MS` 300 ms (how long a confirmed refusal is remembered); where a row',
    'says "counted:", the counts cover that part of the row only.',
    '',
    '**Genesys requests** counts token requests (`POST /oauth/token`) + API requests (`GET` conversation',
    'and `PATCH` attributes). A range is for retries until the deadline: the API count then equals the',
    '`attempts` the function reported (it does in every row), and the bounds run from a floor of 2 or 3',
    '(for a busy machine) to the most attempts that fit in the budget if every answer were instant.',
    '',
  ];
  for (const group of [...new Set(ROWS.map((r) => r.group))]) {
    lines.push(
      `## ${group}`,
      '',
      '| case | flagger | scripted fault | expected status | Genesys requests (token + API) | Secrets Manager reads |',
      '|---|---|---|---|---|---|',
    );
    for (const r of ROWS.filter((x) => x.group === group)) {
      lines.push(
        `| ${cell(r.case)} | ${r.start} | ${cell(r.fault)} | \`${r.status}\` ` +
          `| ${show(r.token)} + ${show(r.api, typeof r.api !== 'number')} | ${show(r.secretReads)} |`,
      );
    }
    lines.push('');
  }
  lines.push(
    '## The queue door',
    '',
    'Records of one SQS batch flagged concurrently by `flagBatch` (lib/queue/batch.ts) through one cold flagger, each',
    'record with a conversation and faults of its own. Every record that did not end `UPDATED` must be in',
    '`failedIds` (SQS redelivers it), and no other.',
    '',
    '| case | scripted fault | expected | Genesys requests (token + API) |',
    '|---|---|---|---|',
  );
  for (const b of BATCH_ROWS) {
    const failed = b.records.filter((r) => r.status !== 'UPDATED');
    const byStatus = [...new Set(b.records.map((r) => r.status))]
      .map((s) => `${b.records.filter((r) => r.status === s).length} \`${s}\``)
      .join(', ');
    const api = b.records.map((r) => `${r.id} ${show(r.api)}`).join(', ');
    lines.push(
      `| ${cell(b.case)} | ${cell(b.fault)} | ${byStatus}; ` +
        `\`failedIds\` = the ${failed.length} not \`UPDATED\` | ${show(b.token)} + per record: ${cell(api)} |`,
    );
  }
  lines.push(
    '',
    '## A hung secret read',
    '',
    `Also tested: ${HUNG_SECRET}. The SDK aborts the hung request after \`FLAG_ATTEMPT_TIMEOUT_MS\``,
    "(`throwOnRequestTimeout`), so the read the container's secret cache shares cannot stay stuck: the flag that",
    'met the hang reads the secret a second time and ends `UPDATED` (2 Secrets Manager reads), and so do the next.',
    '',
  );
  return lines.join('\n');
}

test('docs/fault-matrix.md is the table of this suite', () => {
  const doc = renderDoc();
  if (process.env.UPDATE_FAULT_MATRIX === '1') writeFileSync(DOC, doc);
  expect(readFileSync(DOC, 'utf8')).toBe(doc);
});
