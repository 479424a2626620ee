import { createServer, type Server } from 'node:net';
import { create } from '@bufbuild/protobuf';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectRequest } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { TargetProtocol, TargetSetSchema } from '../../../shared/src/gen/netsentry/v1/target_pb.js';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { createTargetProber } from './target-prober.ts';
import { probeTcpConnect } from './target-probe.ts';

const sent: ConnectRequest[] = [];
const uplink = { connected: true, send: (m: ConnectRequest) => (sent.push(m), true) };
const set = (
  targets: { name: string; address: string; endpoints?: string[]; protocol?: TargetProtocol; dnsQuery?: string }[],
  generation = 1n,
) => create(TargetSetSchema, { generation, targets: targets.map((t) => ({ protocol: TargetProtocol.TCP, endpoints: [], ...t })) });
const batches = () => sent.flatMap((m) => (m.payload.case === 'targetBatch' ? [m.payload.value] : []));

afterEach(() => {
  sent.length = 0;
});

describe('target prober', () => {
  it('probes every Service address and endpoint and sends one batch per round', async () => {
    const probed: string[] = [];
    const prober = createTargetProber({
      uplink,
      intervalMs: 1000,
      timeoutMs: 100,
      concurrency: 2,
      maxProbesPerRound: 100,
      logger: createSilentLogger(),
      probe: async (_p, address) => (
        probed.push(address),
        { ok: address !== '198.18.2.5:8080', rttSeconds: 0.001, error: address === '198.18.2.5:8080' ? 'refused' : '', sentAtUnixMs: 1 }
      ),
    });
    prober.setTargetSet(set([{ name: 'web', address: '198.19.0.10:80', endpoints: ['198.18.1.5:8080', '198.18.2.5:8080'] }], 7n));
    expect(await prober.runRound()).toBe(3);
    expect(probed.sort()).toEqual(['198.18.1.5:8080', '198.18.2.5:8080', '198.19.0.10:80']);
    const [batch] = batches();
    expect(batch!.targetSetGeneration).toBe(7n);
    expect(batch!.results.find((r) => r.address === '198.18.2.5:8080')).toMatchObject({ target: 'web', ok: false, error: 'refused' });
    await prober.stop();
  });

  it('rotates a window above maxProbesPerRound, reaching every address within ceil(n / max) rounds', async () => {
    const probed = new Set<string>();
    const prober = createTargetProber({
      uplink,
      intervalMs: 1000,
      timeoutMs: 100,
      concurrency: 4,
      maxProbesPerRound: 3,
      logger: createSilentLogger(),
      probe: async (_p, address) => (probed.add(address), { ok: true, rttSeconds: 0, error: '', sentAtUnixMs: 1 }),
    });
    const endpoints = Array.from({ length: 6 }, (_, i) => `198.18.1.${i + 1}:80`);
    prober.setTargetSet(set([{ name: 'big', address: '198.19.0.1:80', endpoints }]));
    for (let round = 0; round < 3; round++) expect(await prober.runRound()).toBe(3);
    expect(probed.size).toBe(7);
    await prober.stop();
  });

  it('skips entries it cannot parse (names, no DNS query) and sends nothing while disconnected', async () => {
    const probed: string[] = [];
    const offline = { connected: false, send: () => false };
    const prober = createTargetProber({
      uplink: offline,
      intervalMs: 1000,
      timeoutMs: 100,
      concurrency: 1,
      maxProbesPerRound: 10,
      logger: createSilentLogger(),
      probe: async (_p, address) => (probed.push(address), { ok: true, rttSeconds: 0, error: '', sentAtUnixMs: 1 }),
    });
    prober.setTargetSet(
      set([
        { name: 'named', address: 'example.com:80' },
        { name: 'dns-without-query', address: '198.19.0.53:53', protocol: TargetProtocol.DNS },
        { name: 'ok', address: '198.19.0.2:80' },
      ]),
    );
    expect(await prober.runRound()).toBe(-1);
    expect(probed).toEqual(['198.19.0.2:80']);
    await prober.stop();
  });
});

describe('probeTcpConnect', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('connects to a listening port and reports refused for a closed one', async () => {
    server = createServer((s) => s.end());
    const port = await new Promise<number>((resolve) =>
      server!.listen(0, '127.0.0.1', () => resolve((server!.address() as { port: number }).port)),
    );
    const ok = await probeTcpConnect('127.0.0.1', port, { timeoutMs: 1000, signal: new AbortController().signal });
    expect(ok).toMatchObject({ ok: true, error: '' });
    server.close();
    const refused = await probeTcpConnect('127.0.0.1', port, { timeoutMs: 1000, signal: new AbortController().signal });
    expect(refused).toMatchObject({ ok: false, error: 'refused' });
  });

  it('settles as timeout when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await probeTcpConnect('127.0.0.1', 9, { timeoutMs: 1000, signal: controller.signal })).toMatchObject({
      ok: false,
      error: 'timeout',
    });
  });
});
