/**
 * The CONNECT tunnel through the deployer's egress proxy, called directly through Node's own
 * request with the agent it builds, against the loopback CONNECT proxy (test/emulators): what it
 * asks the proxy, what it makes of a refusal (the status and nothing else of the answer), and that a
 * proxy that never answers, or a request that gives up, leaves no connection open. The function's
 * client and the built bundle through it: test/integration/egress-proxy.test.ts.
 */
import http from 'node:http';
import https from 'node:https';
import { ProxyRefusedError, TUNNEL_SIGNAL, tunnelAgent, type TunnelOptions } from '../../lib/genesys/proxy-tunnel';
import { ConnectProxy } from '../emulators/connect-proxy';
import { LoopbackServer } from '../emulators/loopback';

let proxy: ConnectProxy;
let target: LoopbackServer;
const agents: http.Agent[] = [];

beforeAll(async () => {
  proxy = await ConnectProxy.start('tunnel');
  target = await LoopbackServer.listen((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`answered ${req.method} ${req.url}`);
  });
});
afterAll(async () => {
  await Promise.all([proxy.close(), target.close()]);
});
afterEach(() => {
  // Kept-alive tunnels end with their test: each test counts the proxy's open connections itself.
  for (const agent of agents.splice(0)) agent.destroy();
});
beforeEach(() => {
  proxy.connects.length = 0;
  proxy.answer = 'tunnel';
});

function agentFor(options: Partial<TunnelOptions> = {}): http.Agent {
  const agent = tunnelAgent({
    proxy: new URL(proxy.url),
    allowed: () => true,
    secure: false,
    timeoutMs: 3000,
    ...options,
  });
  agents.push(agent);
  return agent;
}

type Outcome = { status: number; body: string } | { error: Error & { code?: string } };

/** One GET through `agent`; `signal` goes to the agent as the tunnel's own, as api-client.ts passes it. */
function get(url: string, agent: http.Agent, signal?: AbortSignal): Promise<Outcome> {
  const transport = url.startsWith('https:') ? https : http;
  const options: http.RequestOptions & { [TUNNEL_SIGNAL]?: AbortSignal } = {
    agent,
    ...(signal ? { [TUNNEL_SIGNAL]: signal } : {}),
  };
  return new Promise((resolve) => {
    transport
      .get(url, options, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', (error) => resolve({ error }));
  });
}
const errorOf = (outcome: Outcome): (Error & { code?: string }) | undefined =>
  'error' in outcome ? outcome.error : undefined;

describe('ProxyRefusedError: the status, when it is one, and nothing else of the answer', () => {
  test.each<[unknown, number]>([
    [407, 407],
    [100, 100],
    [599, 599],
    [99, 0],
    [600, 0],
    [999, 0],
    [40.7, 0],
    ['407', 0],
    [Number.NaN, 0],
    [Number.POSITIVE_INFINITY, 0],
    [null, 0],
    [undefined, 0],
  ])('%p gives %i', (status, proxyStatus) => {
    const error = new ProxyRefusedError(status);
    expect(error.proxyStatus).toBe(proxyStatus);
    expect(error.message).toBe(`the proxy refused the tunnel (${proxyStatus})`);
    expect(error).toMatchObject({ name: 'ProxyRefusedError', code: 'EPROXYREFUSED' });
    expect(error).toBeInstanceOf(Error);
  });
});

describe('an open tunnel', () => {
  test('the request goes through CONNECT host:port, and a kept-alive tunnel serves the next one', async () => {
    const agent = agentFor();
    const port = new URL(target.url).port;
    expect(await get(`${target.url}/one`, agent)).toEqual({ status: 200, body: 'answered GET /one' });
    expect(await get(`${target.url}/two`, agent)).toEqual({ status: 200, body: 'answered GET /two' });
    expect(proxy.connects.map((c) => c.line)).toEqual([`CONNECT 127.0.0.1:${port} HTTP/1.1`]);
  });

  test('without a port, the scheme says which: 443 for TLS, 80 for plain', async () => {
    proxy.answer = { status: 403 };
    await get('https://api.mypurecloud.ie/x', agentFor({ secure: true }));
    await get('http://api.mypurecloud.ie/x', agentFor());
    expect(proxy.connects.map((c) => c.target)).toEqual(['api.mypurecloud.ie:443', 'api.mypurecloud.ie:80']);
  });
});

describe('a host that is not allowed', () => {
  test('is refused before the proxy is contacted; the predicate is asked about the host name', async () => {
    const asked: string[] = [];
    const agent = agentFor({
      allowed: (host) => {
        asked.push(host);
        return false;
      },
    });
    const outcome = await get('http://evil.example:8443/steal', agent);
    expect(errorOf(outcome)?.message).toBe('the host is not an allowed Genesys host: not tunnelled');
    expect(asked).toEqual(['evil.example']);
    expect(proxy.connects).toEqual([]);
  });
});

describe('a proxy that refuses the tunnel', () => {
  test('is a ProxyRefusedError with its status only: nothing of its reason, headers or body', async () => {
    proxy.answer = {
      status: 407,
      reason: 'Proxy Authentication Required sentinel-reason',
      headers: { 'proxy-authenticate': 'Basic realm="sentinel-realm"' },
      body: 'sentinel-body',
    };
    const error = errorOf(await get(`${target.url}/`, agentFor()));
    expect(error).toBeInstanceOf(ProxyRefusedError);
    expect((error as ProxyRefusedError).proxyStatus).toBe(407);
    expect(JSON.stringify({ ...error, message: error?.message })).not.toContain('sentinel');
    expect(await proxy.drained(1000)).toBe(0);
  });

  test('a redirect is a refusal too, never followed', async () => {
    proxy.answer = { status: 302, headers: { location: 'http://evil.example/' } };
    const error = errorOf(await get(`${target.url}/`, agentFor()));
    expect(error).toMatchObject({ proxyStatus: 302 });
    expect(proxy.connects).toHaveLength(1);
  });

  test('a status outside 100-599 is kept as 0', async () => {
    proxy.answer = { status: 999 };
    expect(errorOf(await get(`${target.url}/`, agentFor()))).toMatchObject({ proxyStatus: 0 });
  });
});

describe('a proxy that never answers CONNECT cannot hold a request, nor a socket', () => {
  let silent: ConnectProxy;
  beforeAll(async () => {
    silent = await ConnectProxy.start('silent');
  });
  afterAll(async () => {
    await silent.close();
  });

  test('the tunnel gives up at its own bound and closes its connection to the proxy', async () => {
    const agent = agentFor({ proxy: new URL(silent.url), timeoutMs: 50 });
    const error = errorOf(await get(`${target.url}/`, agent));
    expect(error).toMatchObject({ message: 'the proxy did not open the tunnel within 50 ms', code: 'ETIMEDOUT' });
    expect(await silent.drained(1000)).toBe(0);
  });

  test("the request's signal ends the tunnel being opened, long before the tunnel's bound", async () => {
    const agent = agentFor({ proxy: new URL(silent.url), timeoutMs: 60_000 });
    const controller = new AbortController();
    const outcome = get(`${target.url}/`, agent, controller.signal);
    while (silent.connects.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    expect(errorOf(await outcome)).toMatchObject({
      message: 'the request was abandoned while its tunnel was opening',
      code: 'ECONNABORTED',
    });
    expect(await silent.drained(1000)).toBe(0);
  });

  test('a signal already aborted opens nothing', async () => {
    const before = silent.connects.length;
    const agent = agentFor({ proxy: new URL(silent.url) });
    const error = errorOf(await get(`${target.url}/`, agent, AbortSignal.abort()));
    expect(error).toMatchObject({
      message: 'the request was abandoned before its tunnel was opened',
      code: 'ECONNABORTED',
    });
    expect(silent.connects.length).toBe(before);
  });
});
