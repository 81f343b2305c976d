/** Fault matrix rows: the deployer's egress proxy (GENESYS_HTTPS_PROXY), between the function and Genesys. */
import { ConnectProxy, type ConnectAnswer } from '../../../emulators/connect-proxy';
import { flagParticipant, type Ctx, type Row } from '../matrix';
import type { FlagResult } from '../../../../lib/core/flag-result';

/** Runs `flag` with a proxy of its own answering `first`, then `rest`, and notes how many CONNECTs it got. */
async function throughProxy(
  ctx: Ctx,
  first: ConnectAnswer[],
  rest: ConnectAnswer,
  flag: (proxyUrl: string, proxy: ConnectProxy) => Promise<FlagResult>,
): Promise<FlagResult> {
  const proxy = await ConnectProxy.start(rest);
  proxy.script(first);
  try {
    const result = await flag(proxy.url, proxy);
    ctx.notes.connects = proxy.connects.length;
    return result;
  } finally {
    await proxy.close();
  }
}

const refusal = (status: number, fault: string, answer: ConnectAnswer): Row => ({
  group: 'The egress proxy',
  case: `the proxy refuses the tunnel: ${status}, named after 1 CONNECT`,
  start: 'cold',
  fault: `${fault}, every time`,
  status: 'CONFIG_ERROR',
  token: 0,
  api: 0,
  secretReads: 1,
  run: (ctx) => throughProxy(ctx, [], answer, (url) => flagParticipant(ctx, ctx.cold({ GENESYS_HTTPS_PROXY: url }))),
  check: (o) => {
    // One CONNECT, not a retry per backoff step; the status named, and nothing else of the answer.
    expect(o.notes.connects).toBe(1);
    expect(o.result.message).toBe(
      `the egress proxy (GENESYS_HTTPS_PROXY) refused the tunnel to Genesys: it answered CONNECT with ${status}`,
    );
    const line = o.logs
      .map((l) => JSON.parse(l) as { message: string; status?: string; reason?: string })
      .find((l) => l.message === 'not flagged');
    expect(line).toMatchObject({ status: 'CONFIG_ERROR', reason: o.result.message });
    expect(o.logs.join('\n')).not.toMatch(/sentinel|realm|evil/);
  },
});

export const ROWS: Row[] = [
  refusal(407, 'CONNECT answered `407` with a `Proxy-Authenticate` header, a reason phrase and a body', {
    status: 407,
    reason: 'sentinel reason phrase',
    headers: { 'proxy-authenticate': 'Basic realm="sentinel-realm"' },
    body: '<html>sentinel body</html>',
  }),
  refusal(403, 'CONNECT answered `403`', { status: 403, reason: 'Forbidden' }),
  refusal(302, 'CONNECT answered `302` to `https://evil.example/`', {
    status: 302,
    reason: 'Found',
    headers: { location: 'https://evil.example/' },
  }),
  {
    group: 'The egress proxy',
    case: "the prefetch's tunnel ends with the prefetch (2 CONNECTs)",
    start: 'cold',
    fault: 'the first CONNECT never answered, then tunnels; prefetch 300 ms, attempt timeout 2 s; then one flag',
    status: 'UPDATED',
    token: 1,
    api: 1,
    secretReads: 1,
    run: (ctx) =>
      throughProxy(ctx, ['silent'], 'tunnel', async (url, proxy) => {
        const flagger = ctx.cold({
          GENESYS_HTTPS_PROXY: url,
          FLAG_INIT_PREFETCH_MS: '300',
          FLAG_ATTEMPT_TIMEOUT_MS: '2000',
        });
        await flagger.prefetch();
        const ended = Date.now();
        // Whatever the flag does next, the hung CONNECT must already be on its way out.
        const end = ended + 1500;
        while (proxy.connects[0]?.closedAt === undefined && Date.now() < end)
          await new Promise((resolve) => setTimeout(resolve, 20));
        ctx.notes.closedAfterPrefetchMs = (proxy.connects[0]?.closedAt ?? Number.POSITIVE_INFINITY) - ended;
        return flagParticipant(ctx, flagger);
      }),
    check: (o) => {
      // Left to its own bound, the pending CONNECT would last the 2 s attempt timeout.
      expect(o.notes.closedAfterPrefetchMs).toBeLessThanOrEqual(500);
      // The flag's own tunnel: one more CONNECT, for both its requests (kept alive).
      expect(o.notes.connects).toBe(2);
    },
  },
];
