/**
 * Structured JSON logging: one line per event, written straight to stdout so CloudWatch stores
 * it verbatim (and Logs Insights can query its fields). Callers pass fields, never free text with
 * values in it. Secrets and tokens travel as Sensitive values (sensitive.ts), which serialize as
 * "[redacted]" wherever they sit in the fields; what a field is called changes nothing, so a field
 * named for what it holds (`secretId`, `tokenRefreshMarginMs`) prints as it is.
 */
import { DEFAULT_LOG_LEVEL, type LogLevel } from './config';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LineSink = (line: string) => void;

const stdoutSink: LineSink = (line) => {
  process.stdout.write(`${line}\n`);
};

export function createLogger(options: { level?: LogLevel; sink?: LineSink; now?: () => number } = {}): Logger {
  const threshold = RANK[options.level ?? DEFAULT_LOG_LEVEL];
  const sink = options.sink ?? stdoutSink;
  const now = options.now ?? Date.now;
  const write = (level: LogLevel, message: string, fields?: LogFields): void => {
    if (RANK[level] < threshold) return;
    sink(JSON.stringify({ level, time: new Date(now()).toISOString(), message, ...fields }));
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

/** Stack frames kept per error: enough to find the line, few enough to keep the line short. */
const MAX_FRAMES = 5;

/**
 * What a log line may say about a thrown error: its name and the first stack frames, never its
 * message. A message can carry anything (a library may quote a request, a header or a value), and
 * `stack` starts with the message, on as many lines as it has: only the lines that are frames
 * ("    at …") are kept.
 */
export function errorFields(error: unknown): LogFields {
  if (!(error instanceof Error)) return { name: typeof error };
  const frames = (typeof error.stack === 'string' ? error.stack.split('\n') : [])
    .filter((line) => /^\s+at /.test(line))
    .slice(0, MAX_FRAMES)
    .map((line) => line.trim());
  // A name is a class name in practice; anything else a library put there is not repeated.
  return { name: /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/.test(error.name) ? error.name : 'Error', frames };
}
