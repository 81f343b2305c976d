/**
 * The logger: one JSON line per call, at or above its level, with the fields as given. What keeps
 * secrets out is their type (Sensitive), not the spelling of a field's name.
 */
import { createLogger, errorFields, type Logger } from '../../lib/log';
import { sensitive } from '../../lib/sensitive';

const SECRET = 'sentinel-log-secret-5e21';

function capture(level?: 'debug' | 'info' | 'warn' | 'error'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ ...(level ? { level } : {}), sink: (line) => lines.push(line), now: () => 0 });
  return { logger, lines };
}

test('one JSON line: level, time from the clock, message, then the fields', () => {
  const { logger, lines } = capture();
  logger.info('flag result', { status: 'SUCCESS', attempts: 2 });
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0] ?? '')).toEqual({
    level: 'info',
    time: '1970-01-01T00:00:00.000Z',
    message: 'flag result',
    status: 'SUCCESS',
    attempts: 2,
  });
});

test('lines below the level are dropped; the default level is info', () => {
  const { logger, lines } = capture();
  logger.debug('attempt');
  logger.info('i');
  logger.warn('w');
  logger.error('e');
  expect(lines.map((l) => (JSON.parse(l) as { level: string }).level)).toEqual(['info', 'warn', 'error']);
  const quiet = capture('error');
  quiet.logger.warn('w');
  quiet.logger.error('e');
  expect(quiet.lines).toHaveLength(1);
  const verbose = capture('debug');
  verbose.logger.debug('d');
  expect(verbose.lines).toHaveLength(1);
});

test('a Sensitive value prints as [redacted] at any depth, in objects and arrays alike', () => {
  const { logger, lines } = capture();
  const token = { value: sensitive(SECRET), apiBaseUrl: 'https://api.mypurecloud.ie' };
  logger.error('oops', { token, nested: { deeper: [sensitive(SECRET)] }, plain: sensitive(SECRET) });
  expect(lines[0]).not.toContain(SECRET);
  expect(JSON.parse(lines[0] ?? '')).toMatchObject({
    token: { value: '[redacted]', apiBaseUrl: 'https://api.mypurecloud.ie' },
    nested: { deeper: ['[redacted]'] },
    plain: '[redacted]',
  });
});

test('a field is printed whatever its name says: names do not decide what is hidden', () => {
  const { logger, lines } = capture();
  logger.info('config', { tokenRefreshMarginMs: 60_000, secretId: 'genesys/flagger/token', authorization: 'none' });
  expect(JSON.parse(lines[0] ?? '')).toMatchObject({
    tokenRefreshMarginMs: 60_000,
    secretId: 'genesys/flagger/token',
    authorization: 'none',
  });
});

describe('errorFields: what a line may say about a thrown error', () => {
  test('the name and at most five trimmed frames, never the message', () => {
    const error = new TypeError(`bad ${SECRET}`);
    error.stack = [
      `TypeError: bad ${SECRET}`,
      'second line of the message',
      ...Array(8).fill('    at f (x.js:1:1)'),
    ].join('\n');
    const fields = errorFields(error);
    expect(fields).toEqual({ name: 'TypeError', frames: Array(5).fill('at f (x.js:1:1)') });
    expect(JSON.stringify(fields)).not.toContain(SECRET);
  });

  test('a name that is not a class name is not repeated', () => {
    const error = new Error('x');
    error.name = `<script>${SECRET}</script>`;
    expect(errorFields(error).name).toBe('Error');
    error.name = 'x'.repeat(65);
    expect(errorFields(error).name).toBe('Error');
  });

  test('something thrown that is not an Error gives only its type', () => {
    expect(errorFields(SECRET)).toEqual({ name: 'string' });
    expect(errorFields(undefined)).toEqual({ name: 'undefined' });
    expect(errorFields({ message: SECRET })).toEqual({ name: 'object' });
  });

  test('an error without a stack has no frames', () => {
    const error = new Error('x');
    delete error.stack;
    expect(errorFields(error)).toEqual({ name: 'Error', frames: [] });
  });
});
