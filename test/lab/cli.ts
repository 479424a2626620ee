// netns lab CLI. Usage:
//   node test/lab/cli.ts up [--nodes N] [--pods K] [--mtu M] [--gateway auto|root|netns]
//   node test/lab/cli.ts down <id> | --stale
//   node test/lab/cli.ts list
import { parseArgs } from 'node:util';
import { cleanupStaleLabs, destroyLab, listNetns } from './cleanup.ts';
import { createLab, installSignalTeardown } from './lab.ts';
import { LAB_ID_PATTERN, LAB_NETNS_PATTERN } from './naming.ts';
import { isAlive, readAllStates } from './state.ts';

const USAGE = `usage:
  cli.ts up [--nodes N] [--pods K] [--mtu M] [--gateway auto|root|netns]
  cli.ts down <id> | --stale
  cli.ts list`;

class UsageError extends Error {}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function intFlag(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} needs a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

function parse(args: string[], options: NonNullable<Parameters<typeof parseArgs>[0]>['options']): ReturnType<typeof parseArgs> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function up(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, {
    nodes: { type: 'string' },
    pods: { type: 'string' },
    mtu: { type: 'string' },
    gateway: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`up takes no arguments, got ${positionals.join(' ')}`);
  const gateway = (values['gateway'] as string | undefined) ?? 'auto';
  if (gateway !== 'auto' && gateway !== 'root' && gateway !== 'netns') throw new UsageError(`--gateway must be auto, root or netns`);
  const lab = await createLab({
    nodes: intFlag(values['nodes'] as string | undefined, 'nodes', 4),
    podsPerNode: intFlag(values['pods'] as string | undefined, 'pods', 1),
    underlayMtu: intFlag(values['mtu'] as string | undefined, 'mtu', 1500),
    gateway,
    logger: { info: (...a: unknown[]) => console.error(JSON.stringify(a)) },
  });
  installSignalTeardown(lab);
  const { id, prefix, underlayGatewayIp, gatewayNs, buildMs, nodes } = lab;
  console.log(JSON.stringify({ id, prefix, underlayGatewayIp, gatewayNs, buildMs, nodes }, null, 2));
  console.error(`lab ${id} is up; Ctrl-C (or: cli.ts down ${id}) tears it down`);
  setInterval(() => {}, 1 << 30); // keep running until a signal arrives
}

async function down(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { stale: { type: 'boolean' } });
  if (values['stale']) {
    if (positionals.length > 0) throw new UsageError('down --stale takes no id');
    console.log(JSON.stringify({ removed: await cleanupStaleLabs() }));
    return;
  }
  const [id, ...rest] = positionals;
  if (id === undefined || rest.length > 0 || !LAB_ID_PATTERN.test(id))
    throw new UsageError('down needs one lab id like nslk3x9, or --stale');
  const entry = (await readAllStates()).find((s) => s.id === id);
  const owner = entry?.state?.owner;
  if (owner && isAlive(owner) && owner.pid !== process.pid) {
    // The owner is the `up` (or test) process that built the lab: ask it to tear down.
    process.kill(owner.pid, 'SIGTERM');
    for (let i = 0; i < 100 && isAlive(owner); i++) await sleep(100);
  }
  await destroyLab(id, entry?.state ?? null);
  console.log(JSON.stringify({ removed: [id] }));
}

async function list(args: string[]): Promise<void> {
  const { positionals } = parse(args, {});
  if (positionals.length > 0) throw new UsageError('list takes no arguments');
  const states = await readAllStates();
  const known = new Set(states.map((s) => s.id));
  const orphans = new Set<string>();
  for (const ns of await listNetns()) {
    const id = LAB_NETNS_PATTERN.exec(ns)?.[1];
    if (id !== undefined && !known.has(id)) orphans.add(id);
  }
  const labs = [
    ...states.map(({ id, state }) => ({
      id,
      owner: state?.owner.pid ?? null,
      live: state !== null && isAlive(state.owner),
      createdAt: state?.createdAt ?? null,
      netns: state?.netns.length ?? 0,
      processes: state?.processes.length ?? 0,
    })),
    ...[...orphans].map((id) => ({ id, owner: null, live: false, createdAt: null, netns: 0, processes: 0 })),
  ];
  console.log(JSON.stringify({ labs }, null, 2));
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'up':
        await up(args);
        return -1;
      case 'down':
        await down(args);
        return 0;
      case 'list':
        await list(args);
        return 0;
      default:
        throw new UsageError(command === undefined ? 'no command' : `unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`error: ${err.message}\n${USAGE}`);
      return 2;
    }
    console.error(`error: ${(err as Error).message}`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exit(code);
