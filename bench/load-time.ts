/**
 * Start-up cost of the package, as same-run ratios of fresh processes:
 * - `require()` of the package main against a bare `node -e 0` (wall-clock);
 * - Node-RED's start (until it serves the editor) with the package installed in its user
 *   directory against the same start without it: wall-clock, and the CPU time the Node-RED
 *   process used until then (user + system, from /proc on Linux), which other jobs on a
 *   shared machine do not inflate as they do the wall-clock.
 * The two sides alternate, run after run (each pair in turn led by the other side), so drift
 * in the machine's load hits both alike.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
  /** CPU ms of the Node-RED process until it serves the editor; undefined where /proc is missing. */
  nodeRedCpu: Ratio | undefined;
}

interface Timing {
  wallMs: number;
  cpuMs: number | undefined;
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

/** User + system CPU ms a running process has used (Linux /proc), or undefined elsewhere. */
function cpuMsOf(pid: number | undefined): number | undefined {
  try {
    // After the command name: [11] and [12] are utime and stime (fields 14 and 15 of proc(5)), in 100 Hz clock ticks.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : undefined;
  } catch {
    return undefined;
  }
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

/** Milliseconds from spawning Node-RED until it logs that its server runs, and its CPU time until then. */
async function timeNodeRed(userDir: string): Promise<Timing> {
  const port = await freePort();
  const red = require.resolve('node-red/red.js');
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [red, '--userDir', userDir, '--port', String(port), 'flows.json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    return await new Promise<Timing>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('Server now running')) resolve({ wallMs: Number(process.hrtime.bigint() - start) / 1e6, cpuMs: cpuMsOf(child.pid) });
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
    // What a user's install holds: the package's files, not the checkout with its dev
    // dependencies (Node-RED scans nested node_modules and would load the devDependency
    // Dashboard 2.0 too). Its dependencies resolve from the checkout's node_modules through
    // the real paths of the linked files.
    const installed = path.join(dir, 'node_modules', '@jpaykit', 'node-red-jpay');
    mkdirSync(installed, { recursive: true });
    for (const entry of ['package.json', 'dist', 'examples']) symlinkSync(path.join(ROOT, entry), path.join(installed, entry));
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
    const cpu = (timings: Timing[]): number[] => timings.flatMap((t) => (t.cpuMs === undefined ? [] : [t.cpuMs]));
    const withCpu = cpu(nodeRed.subject);
    const withoutCpu = cpu(nodeRed.baseline);
    return {
      require: ratioOf(requireTimes.subject, requireTimes.baseline),
      nodeRed: ratioOf(nodeRed.subject.map((t) => t.wallMs), nodeRed.baseline.map((t) => t.wallMs)),
      nodeRedCpu: withCpu.length === options.nodeRedRuns && withoutCpu.length === options.nodeRedRuns ? ratioOf(withCpu, withoutCpu) : undefined,
    };
  } finally {
    rmSync(withDir, { recursive: true, force: true });
    rmSync(withoutDir, { recursive: true, force: true });
  }
}
