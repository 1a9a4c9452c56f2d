/**
 * The `jpay` CLI as a child process (node -r tsx/cjs lib/cli/jpay.ts), in a working
 * directory, HOME and TMPDIR of the test's own, so every file it might write lands where
 * the scan looks.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';

const CLI = path.resolve(__dirname, '../../lib/cli/jpay.ts');
const TSX = require.resolve('tsx/cjs');

export interface CliRun {
  args: readonly string[];
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['JPAY_PASSWORD', 'JPAY_HOST', 'JPAY_PORT']) delete env[k];
  Object.assign(env, { HOME: options.cwd, TMPDIR: options.cwd }, options.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', TSX, CLI, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ args, code, stdout, stderr });
    });
  });
}
