// The V8 flags the agent is started with, everywhere it is started: the package bin (the
// shebang of main.ts), Dockerfile.agent's ENTRYPOINT (and so the Helm chart), the lab
// harness and bench/agent-peers.ts. node-flags.test.ts keeps those in step with this list.
// V8 reads heap sizes when the isolate is created, so the agent cannot set them itself
// (v8.setFlagsFromString is too late); its worker thread's limits are set in probe-runner.ts.
//
// --max-semi-space-size=1: the main thread allocates a few MB per probe round (results,
// protobuf messages, gRPC frames) and keeps little of it; V8's default lets the young
// generation grow to 64 MiB resident before it shrinks again. 1 MiB semi-spaces cut the
// agent's RSS by ~15 MiB at 100 peers with no measurable CPU change (BENCHMARKS.md, issue 7).
//
// --enable-source-maps: stack traces in logs point at the TypeScript sources (tsc writes the maps).
export const agentNodeFlags = ['--enable-source-maps', '--max-semi-space-size=1'] as const;
