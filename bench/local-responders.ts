// 200 probe responders on 127.0.0.1 for the prober benches, run in a child process so their
// CPU is counted apart from the prober's; the ports go back to the parent over IPC. `tree`:
// the checkout (or a copy of one) whose responder to run.
export async function serveLocalResponders(tree: string, count = 200): Promise<void> {
  const root = tree.replace(/\/?$/, '/');
  const { createProbeResponder } = await import(`${root}agent/src/probe/probe-responder.ts`);
  const { createSilentLogger } = await import(`${root}shared/src/logger.ts`);
  const ports: number[] = [];
  const anyPeer = { isPeerAddress: () => true, isSender: () => true, isOverlaySource: () => false };
  while (ports.length < count) {
    const responder = createProbeResponder({ logger: createSilentLogger(), senders: anyPeer });
    try {
      ports.push((await responder.listen('127.0.0.1', 0)).udpPort);
    } catch {
      await responder.close().catch(() => undefined); // the TCP twin of a kernel-chosen UDP port was taken
    }
  }
  process.send!(ports);
}
