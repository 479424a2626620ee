#!/usr/bin/env node
// netsentry (and kubectl-netsentry, the same program as a kubectl plugin): the operator's CLI
// for a collector (status, findings, nodes, version). Only this file
// calls process.exit; exit codes are in exit-codes.ts.
import { exitCodes } from './exit-codes.ts';
import { runCli } from './run-cli.ts';

// Ctrl-C ends --watch after the current frame (exit code: the last frame's); otherwise, or a
// second time, it ends the process at once.
const interrupted = new AbortController();
let watching = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (!watching || interrupted.signal.aborted) process.exit(130);
    interrupted.abort();
  });
}

const deps = {
  argv: process.argv.slice(2),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: interrupted.signal,
  onWatch: () => (watching = true),
};
runCli(deps).then(
  (code) => {
    // Let piped stdout drain before exiting (a long `findings --json` into `jq`).
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`netsentry: internal error: ${String((err as Error)?.stack ?? err)}\n`);
    process.exit(exitCodes.internal);
  },
);
