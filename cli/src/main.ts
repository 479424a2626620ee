#!/usr/bin/env node
// netsentry: the operator's CLI for a collector (status, findings, nodes). Only this file
// calls process.exit; exit codes are in exit-codes.ts.
import { exitCodes } from './exit-codes.ts';
import { runCli } from './run-cli.ts';

runCli({ argv: process.argv.slice(2), env: process.env, stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    // Let piped stdout drain before exiting (a long `findings --json` into `jq`).
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`netsentry: internal error: ${String((err as Error)?.stack ?? err)}\n`);
    process.exit(exitCodes.internal);
  },
);
