#!/usr/bin/env node
// The `jpay` command: a JPAY terminal client for people and scripts. See docs/cli.md.

import { main } from './jpay/main';

function onInterrupt(handler: () => void): () => void {
  process.on('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

main({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  onInterrupt,
}).then(
  (code) => {
    // exitCode, not exit(): let stdout drain when it is a pipe.
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`jpay: internal error: ${error instanceof Error ? error.name : 'Error'}\n`);
    process.exitCode = 3;
  },
);
