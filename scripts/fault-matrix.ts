/**
 * The fault matrix, report mode: plain and encrypted sessions × every phase of a
 * transaction × every fault (line faults and a man in the middle), N runs per cell against
 * the simulator, each unknown outcome resolved by the recovery procedure and checked
 * against the simulator's log; then the Node-RED path (a redeploy or a stop at each phase,
 * through the real runtime with the built nodes: `npm run build` first).
 *
 *   node -r tsx/cjs scripts/fault-matrix.ts --runs 100 [--node-red-runs N | --node-red-only] [--seed 1] [--concurrency 8] [--json]
 *
 * Prints the tables (markdown) and exits 1 if any promise broke (a double charge, a silent
 * loss, an unknown outcome not resolved correctly, an outcome told twice or never…).
 */
import { cellsOf, formatTable, runMatrix, totals, violations } from './fault-matrix/matrix';
import { formatNodeRedTable, nodeRedViolations, runNodeRedMatrix } from './fault-matrix/node-red';

interface Args {
  runs: number;
  /** Runs per Node-RED cell (default: --runs); 0 skips the Node-RED path. */
  nodeRedRuns?: number;
  seed: number;
  concurrency: number;
  json: boolean;
  /** Only the Node-RED path. */
  nodeRedOnly: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 100, seed: 1, concurrency: 8, json: false, nodeRedOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): number => {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a} needs a positive integer`);
      return n;
    };
    if (a === '--runs') args.runs = value();
    else if (a === '--node-red-runs') args.nodeRedRuns = argv[i + 1] === '0' ? (i++, 0) : value();
    else if (a === '--seed') args.seed = value();
    else if (a === '--concurrency') args.concurrency = value();
    else if (a === '--json') args.json = true;
    else if (a === '--node-red-only') args.nodeRedOnly = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: node -r tsx/cjs scripts/fault-matrix.ts [--runs N] [--node-red-runs N | --node-red-only] [--seed S] [--concurrency C] [--json]\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  let done = 0;
  const cells = args.nodeRedOnly ? [] : await runMatrix({
    runs: args.runs,
    seed: args.seed,
    concurrency: args.concurrency,
    onCell: (c) => {
      done += 1;
      process.stderr.write(`[${done}/${cellsOf().length}] ${c.session}: ${c.phase} × ${c.fault}: ${c.runs} runs in ${c.ms} ms\n`);
    },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const nodeRedRuns = args.nodeRedRuns ?? args.runs;
  const nodeRedStarted = Date.now();
  const nodeRed =
    nodeRedRuns === 0
      ? []
      : await runNodeRedMatrix({
          runs: nodeRedRuns,
          seed: args.seed,
          onCell: (c) => process.stderr.write(`[node-red] ${c.action} × ${c.phase}: ${c.runs} runs in ${c.ms} ms\n`),
        });
  const nodeRedSeconds = ((Date.now() - nodeRedStarted) / 1000).toFixed(1);
  const broken = [...violations(cells), ...nodeRedViolations(nodeRed)];
  const t = totals(cells);
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ runsPerCell: args.runs, seed: args.seed, cells, totals: t, nodeRed, violations: broken }, null, 1)}\n`);
  } else {
    if (cells.length > 0) {
      process.stdout.write(`Fault matrix: ${args.runs} runs per cell, seed ${args.seed}, ${t.runs} runs in ${seconds} s (node ${process.version})\n\n`);
      process.stdout.write(`${formatTable(cells)}\n\n`);
      process.stdout.write(
        `double charges: ${t.doubleCharges} · silent losses: ${t.silentLosses} · unknown outcomes: ${t.unknown}, resolved correctly: ${t.resolvedCorrectly}` +
          ` · ambiguous: ${t.ambiguous} · wrong: ${t.wrong} · vending reversals: ${t.reversed} (missed: ${t.unreversed})\n`,
      );
    }
    if (nodeRed.length > 0) {
      process.stdout.write(`\nNode-RED path: ${nodeRedRuns} runs per cell, ${nodeRed.reduce((n, c) => n + c.runs, 0)} runs in ${nodeRedSeconds} s\n\n${formatNodeRedTable(nodeRed)}\n\n`);
    }
    process.stdout.write(broken.length === 0 ? 'All promises held.\n' : `BROKEN:\n${broken.map((b) => `  - ${b}`).join('\n')}\n`);
  }
  process.exitCode = broken.length === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 2;
});
