/**
 * The waits the retry loop decided on, read from its debug `attempt` lines (`delayMs`). A test that
 * must show a wait was honoured (a Retry-After, the backoff schedule) asserts these decisions,
 * not the wall time between two requests: on a loaded machine only the latter can flake.
 */
export function loggedWaits(lines: readonly string[], requestId?: string): number[] {
  const waits: number[] = [];
  for (const line of lines) {
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (typeof entry !== 'object' || entry === null) continue;
    const fields = entry as Record<string, unknown>;
    if (fields.message !== 'attempt' || typeof fields.delayMs !== 'number') continue;
    if (requestId !== undefined && fields.requestId !== requestId) continue;
    waits.push(fields.delayMs);
  }
  return waits;
}
