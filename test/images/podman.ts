// Containers from the images scripts/images.sh builds, run with podman in that script's own
// store and settings (scripts/images/*.conf). Every container is created, stopped and removed
// by its id; each carries its owner's pid and start time in a label, so containers left by a
// run that was killed outright are removed at the next start, and nothing else ever is.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CommandError } from '../lab/run.ts';
import { isAlive, processRef, type ProcessRef } from '../lab/state.ts';

const confDir = fileURLToPath(new URL('../../scripts/images/', import.meta.url));
const podmanEnv = {
  ...process.env,
  CONTAINERS_CONF: `${confDir}containers.conf`,
  CONTAINERS_STORAGE_CONF: `${confDir}storage.conf`,
};
const OWNER_LABEL = 'org.netsentry.test.owner';
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
export const agentImage = `localhost/netsentry-agent:${version}`;
export const collectorImage = `localhost/netsentry-collector:${version}`;

/** podman with the images' store and settings; resolves stdout. */
export function podman(args: readonly string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'podman',
      args,
      { env: podmanEnv, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const code = typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null;
        reject(new CommandError(['podman', ...args], stderr, code, err, stdout));
      },
    );
  });
}

/**
 * The chart's container security context (charts/netsentry/values.yaml, agent and collector
 * alike) as podman flags: uid/gid 65534, read-only root with only /tmp writable (the chart's
 * emptyDir), every capability dropped, no privilege escalation, the runtime's default seccomp
 * profile (podman applies it unless told otherwise; the test reads it back from the kernel).
 */
export const chartSecurityFlags = [
  '--user',
  '65534:65534',
  '--read-only',
  '--read-only-tmpfs=false',
  '--tmpfs',
  '/tmp:rw,size=16m,mode=1777',
  '--cap-drop',
  'ALL',
  '--security-opt',
  'no-new-privileges',
] as const;

export interface Container {
  id: string;
  name: string;
  /** Milliseconds `podman run -d` took to return (container created and its process started). */
  runMs: number;
  logs(): Promise<string>;
  /** The container's main process as the host sees it. */
  hostPid(): Promise<number>;
  stop(timeoutSeconds?: number): Promise<void>;
}

export interface Containers {
  /** `network`: podman's --network value, e.g. netnsNetwork('nslab12-node-1'), 'none', 'container:<id>'. */
  run(name: string, image: string, network: string, args: readonly string[]): Promise<Container>;
  /** Removes (stopping first) one container this set started. */
  remove(container: Container): Promise<void>;
  /** Removes (stopping first) every container this set started; idempotent. */
  removeAll(): Promise<void>;
}

/** Joins a container to a named network namespace (`ip netns add` puts them under /run/netns). */
export function netnsNetwork(ns: string): string {
  return `ns:/run/netns/${ns}`;
}

function ownerValue(ref: ProcessRef): string {
  return `${ref.pid}:${ref.start ?? ''}`;
}

async function containersByOwner(): Promise<{ id: string; owner: string }[]> {
  const out = await podman(['ps', '--all', '--filter', `label=${OWNER_LABEL}`, '--format', `{{.ID}} {{index .Labels "${OWNER_LABEL}"}}`]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', owner = ''] = line.split(' ');
      return { id, owner };
    });
}

/** Removes one by one, newest first (a container may share an earlier one's namespace). */
async function removeIds(ids: readonly string[]): Promise<void> {
  for (const id of ids) await podman(['rm', '--force', '--ignore', '--depend', '--time', '5', id]);
}

/** Removes the containers labelled with this owner (used by reaper.ts once the owner is gone). */
export async function removeContainersOf(owner: string): Promise<void> {
  await removeIds((await containersByOwner()).filter((c) => c.owner === owner).map((c) => c.id));
}

/** Removes containers whose owner process is gone (a run killed with SIGKILL); returns their ids. */
export async function removeOrphanContainers(): Promise<string[]> {
  const orphans = (await containersByOwner())
    .filter(({ owner }) => {
      const [pid, start] = owner.split(':');
      return !isAlive({ pid: Number(pid), start: start ? Number(start) : null });
    })
    .map((c) => c.id);
  await removeIds(orphans);
  return orphans;
}

export function createContainers(): Containers {
  const owner = ownerValue(processRef(process.pid));
  const started = new Map<string, string>(); // id → name
  let reaperStarted = false;
  // A detached reaper removes this owner's containers when this process ends in any way.
  const startReaper = (): void => {
    if (reaperStarted) return;
    reaperStarted = true;
    spawn(process.execPath, [fileURLToPath(new URL('./reaper.ts', import.meta.url)), owner], { detached: true, stdio: 'ignore' }).unref();
  };

  async function run(name: string, image: string, network: string, args: readonly string[]): Promise<Container> {
    startReaper();
    const t0 = performance.now();
    const id = (
      await podman(['run', '--detach', '--label', `${OWNER_LABEL}=${owner}`, '--network', network, ...chartSecurityFlags, image, ...args])
    ).trim();
    const runMs = Math.round(performance.now() - t0);
    if (!/^[0-9a-f]{64}$/.test(id)) throw new Error(`podman run for ${name} printed no container id: ${id}`);
    started.set(id, name);
    return {
      id,
      name,
      runMs,
      logs: () => podman(['logs', id]).catch((err: unknown) => `[podman logs failed: ${String(err)}]`),
      hostPid: async () => Number((await podman(['inspect', '--format', '{{.State.Pid}}', id])).trim()),
      stop: async (timeoutSeconds = 10) => {
        await podman(['stop', '--time', String(timeoutSeconds), id], (timeoutSeconds + 30) * 1000);
      },
    };
  }

  return {
    run,
    async remove(container) {
      started.delete(container.id);
      await podman(['rm', '--force', '--ignore', '--time', '5', container.id]);
    },
    async removeAll() {
      // One at a time, last started first: a container may share an earlier one's network
      // namespace, and podman refuses to remove that one while the other exists.
      const ids = [...started.keys()].reverse();
      started.clear();
      const errors: unknown[] = [];
      for (const id of ids) await podman(['rm', '--force', '--ignore', '--time', '5', id]).catch((err: unknown) => errors.push(err));
      if (errors.length > 0) throw new AggregateError(errors, `could not remove ${errors.length} container(s)`);
    },
  };
}
