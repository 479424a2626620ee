// Started detached by podman.ts: waits for the test process (pid + start time) to end, however
// it ends — a worker killed outright when vitest is stopped runs no handler — then removes
// the containers labelled with that owner, by id, and exits. Bounded: gives up after 2 hours.
// Usage: node test/images/reaper.ts OWNER   (OWNER = "<pid>:<start time>")
import { isAlive } from '../lab/state.ts';
import { removeContainersOf } from './podman.ts';

const owner = process.argv[2] ?? '';
const [pid, start] = owner.split(':');
const ref = { pid: Number(pid), start: start ? Number(start) : null };
const deadline = Date.now() + 2 * 60 * 60 * 1000;
while (isAlive(ref) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
await removeContainersOf(owner);
