/**
 * The bench's side of a "Lambda container" (bench/lib/worker.cjs): a forked plain node process
 * that required one bundle with its environment set, then answers requests over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const WORKER = path.join(__dirname, 'worker.cjs');

export interface FlagReply<R = FlagResultLike> {
  result: R;
  startedAt: number;
  endedAt: number;
}

export interface SequenceReply {
  cpuUs?: number[];
  wallMs?: number[];
  statuses: Record<string, number>;
  attempts: number;
  totalMs: number;
}

export interface BatchReply {
  result: { batchItemFailures: { itemIdentifier: string }[] };
  wallMs: number;
  lines: string[];
}

/** The fields of a FlagResult (ours) or an AnchorResult that the bench reads. */
export interface FlagResultLike {
  status: string;
  attempts: number;
  elapsedMs: number;
  httpStatus: number;
}

export type Mode = 'plain' | 'fixed-delay' | 'naive-retry';

export class Container {
  /** Time the bundle's require() took inside the container. */
  initMs = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private stderr = '';

  private constructor(private readonly child: ChildProcess) {}

  static start(bundle: string, env: Record<string, string>, options: { timeoutMs?: number } = {}): Promise<Container> {
    const child = fork(WORKER, [], {
      // No tsx loader or inspector flags from the bench process: a container is plain node.
      execArgv: [],
      env: { ...env, BENCH_BUNDLE: bundle, BENCH_TIMEOUT_MS: String(options.timeoutMs ?? 10_000) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const container = new Container(child);
    child.stdout?.resume(); // the function's log lines: drained like Lambda's log pipe
    child.stderr?.on('data', (d: Buffer) => {
      container.stderr = (container.stderr + d.toString()).slice(-4000);
    });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => {
        const error = new Error(`container ${path.basename(bundle)} exited (${code}): ${container.stderr}`);
        for (const p of container.pending.values()) p.reject(error);
        container.pending.clear();
        reject(error);
      };
      child.once('exit', onExit);
      child.on('message', (message: { ready?: boolean; initMs?: number; id?: number; ok?: boolean; reply?: unknown; error?: string }) => {
        if (message.ready) {
          container.initMs = message.initMs ?? 0;
          resolve(container);
          return;
        }
        const waiting = message.id === undefined ? undefined : container.pending.get(message.id);
        if (!waiting || message.id === undefined) return;
        container.pending.delete(message.id);
        if (message.ok) waiting.resolve(message.reply);
        else waiting.reject(new Error(message.error));
      });
    });
  }

  private request<T>(message: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...message, id });
    });
  }

  flag<R = FlagResultLike>(event: unknown, mode: Mode = 'plain'): Promise<FlagReply<R>> {
    return this.request({ op: 'flag', event, mode });
  }

  /** Flags one after the other; `profile`: a file to write a V8 CPU profile of just this loop to. */
  sequence(events: unknown[], options: { mode?: Mode; detail?: boolean; profile?: string } = {}): Promise<SequenceReply> {
    return this.request({ op: 'sequence', events, mode: options.mode ?? 'plain', detail: options.detail ?? false, ...(options.profile ? { profile: options.profile } : {}) });
  }

  batch(event: unknown): Promise<BatchReply> {
    return this.request({ op: 'batch', event });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.removeAllListeners('exit');
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.send({ op: 'exit' });
      setTimeout(() => this.child.kill('SIGKILL'), 2000).unref();
    });
  }
}
