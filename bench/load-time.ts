/**
 * Start-up cost of the package, as same-run ratios of wall-clock times of fresh processes:
 * - `require()` of the package main against a bare `node -e 0`;
 * - Node-RED's start (until it serves the editor) with the package installed in its user
 *   directory against the same start without it.
 * The two sides alternate, run after run (each pair in turn led by the other side), so drift
 * in the machine's load hits both alike.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { median } from './stats';

const ROOT = path.resolve(__dirname, '..');

export interface LoadTimeOptions {
  /** Runs of each side of the require() comparison. */
  requireRuns: number;
  /** Runs of each side of the Node-RED start comparison. */
  nodeRedRuns: number;
}

export interface Ratio {
  subject: number;
  baseline: number;
  ratio: number;
}

export interface LoadTimeResult {
  require: Ratio;
  nodeRed: Ratio;
}

function timeProcess(args: string[]): number {
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${run.stderr.toString()}`);
  return elapsed;
}

function ratioOf(subject: number[], baseline: number[]): Ratio {
  const subjectMs = median(subject);
  const baselineMs = median(baseline);
  return { subject: subjectMs, baseline: baselineMs, ratio: subjectMs / baselineMs };
}

async function compare<T>(runs: number, subject: () => Promise<T> | T, baseline: () => Promise<T> | T): Promise<{ subject: T[]; baseline: T[] }> {
  const s: T[] = [];
  const b: T[] = [];
  await baseline(); // warm the file cache for both sides
  await subject();
  // Each pair in turn starts with the other side: the one that runs first after a pause pays for it.
  for (let i = 0; i < runs; i += 1) {
    if (i % 2 === 0) {
      b.push(await baseline());
      s.push(await subject());
    } else {
      s.push(await subject());
      b.push(await baseline());
    }
  }
  return { subject: s, baseline: b };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Milliseconds from spawning Node-RED until it logs that its server runs. */
async function timeNodeRed(userDir: string): Promise<number> {
  const port = await freePort();
  const red = require.resolve('node-red/red.js');
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [red, '--userDir', userDir, '--port', String(port), 'flows.json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    return await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('Server now running')) resolve(Number(process.hrtime.bigint() - start) / 1e6);
        if (/\[error\]/.test(out)) reject(new Error(`Node-RED logged an error:\n${out}`));
      });
      child.once('exit', (code) => reject(new Error(`Node-RED exited (${code}) before it started:\n${out}`)));
    });
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

function userDir(withPackage: boolean): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'jpay-bench-nr-'));
  writeFileSync(path.join(dir, 'flows.json'), '[]');
  if (withPackage) {
    // What `npm install` of the tarball leaves: a copy of the package's files (links would
    // make every module load resolve them: ≈ 3 % slower here) and its dependencies beside it
    // (links into the checkout's node_modules, so nothing is downloaded).
    const installed = path.join(dir, 'node_modules', '@jpaykit', 'node-red-jpay');
    mkdirSync(installed, { recursive: true });
    for (const entry of ['package.json', 'dist/lib', 'dist/nodes', 'dist/plugins', 'examples']) {
      cpSync(path.join(ROOT, entry), path.join(installed, entry), { recursive: true });
    }
    const { dependencies } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const name of Object.keys(dependencies)) {
      const link = path.join(dir, 'node_modules', name);
      mkdirSync(path.dirname(link), { recursive: true });
      symlinkSync(path.join(ROOT, 'node_modules', name), link);
    }
  }
  return dir;
}

export async function benchLoadTime(options: LoadTimeOptions): Promise<LoadTimeResult> {
  const main = path.join(ROOT, 'dist', 'lib', 'index.js');
  const requireTimes = await compare(
    options.requireRuns,
    () => timeProcess(['-e', `require(${JSON.stringify(main)})`]),
    () => timeProcess(['-e', '0']),
  );
  const withDir = userDir(true);
  const withoutDir = userDir(false);
  try {
    const nodeRed = await compare(
      options.nodeRedRuns,
      () => timeNodeRed(withDir),
      () => timeNodeRed(withoutDir),
    );
    return { require: ratioOf(requireTimes.subject, requireTimes.baseline), nodeRed: ratioOf(nodeRed.subject, nodeRed.baseline) };
  } finally {
    rmSync(withDir, { recursive: true, force: true });
    rmSync(withoutDir, { recursive: true, force: true });
  }
}
