/**
 * Fuzz report: the targets of test/fuzz run long, and a table says how many inputs each
 * took, which typed errors came out, and the largest heap seen. Any broken invariant stops
 * the run with fast-check's shrunk counterexample (exit 1).
 *
 *   node -r tsx/cjs scripts/fuzz.ts [--inputs 1000000] [--tcp 5000] [--seed N] [--only NAME]
 *
 * --inputs is shared evenly by the in-process targets (frame, xml, protocol, crypto);
 * --tcp is the number of garbage connections to the simulator (0 to skip).
 */
import { errorKey, newStats, type FuzzStats } from '../test/fuzz/kit';
import { runSimulatorGarbage } from '../test/fuzz/sim-garbage';
import { FUZZ_TARGETS } from '../test/fuzz/targets';

interface Args {
  inputs: number;
  tcp: number;
  seed: number;
  only?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { inputs: 1_000_000, tcp: 5000, seed: Date.now() % 2 ** 31 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--only' && value !== undefined) {
      args.only = value;
      continue;
    }
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag} needs a non-negative integer`);
    if (flag === '--inputs') args.inputs = n;
    else if (flag === '--tcp') args.tcp = n;
    else if (flag === '--seed') args.seed = n;
    else throw new Error(`unknown option ${flag}`);
  }
  return args;
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function errorList(errors: Map<string, number>): string {
  return [...errors.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([key, count]) => `${key} ×${count}`)
    .join('; ');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const targets = FUZZ_TARGETS.filter((t) => args.only === undefined || t.name.includes(args.only));
  const perTarget = targets.length === 0 ? 0 : Math.ceil(args.inputs / targets.length);
  console.log(`fuzz: seed ${args.seed}, ${perTarget} inputs × ${targets.length} targets, ${args.tcp} garbage connections to the simulator\n`);

  const rows: { name: string; stats: FuzzStats }[] = [];
  for (const target of targets) {
    const stats = target.run(perTarget, args.seed, newStats());
    rows.push({ name: target.name, stats });
    console.log(`${target.name.padEnd(28)} ${String(stats.inputs).padStart(9)} inputs  ${String(stats.ms).padStart(7)} ms  heap ≤ ${mb(stats.maxHeapBytes)}`);
    console.log(`  ${target.description}`);
    console.log(`  errors: ${errorList(stats.errors) || '(none: every input decoded)'}`);
  }

  let tcpInputs = 0;
  if (args.tcp > 0) {
    const sim = await runSimulatorGarbage(args.tcp, args.seed);
    tcpInputs = sim.inputs;
    const heap = process.memoryUsage().heapUsed;
    console.log(`${'simulator: TCP garbage'.padEnd(28)} ${String(sim.inputs).padStart(9)} inputs  ${String(sim.ms).padStart(7)} ms  heap ≤ ${mb(heap)}`);
    console.log(`  answered ${sim.answered}, closed ${sim.closed}, hung ${sim.hung}; logins ok ${sim.loginsOk}, purchases ok ${sim.purchasesOk}`);
    console.log(`  simulator bad-input: ${errorList(sim.badInput)}`);
  }

  const total = rows.reduce((n, r) => n + r.stats.inputs, 0);
  const codes = new Set(rows.flatMap((r) => [...r.stats.errors.keys()]));
  const untyped = [...codes].filter((k) => !k.startsWith('Jpay'));
  const maxHeap = Math.max(0, ...rows.map((r) => r.stats.maxHeapBytes));
  console.log(`\ntotal: ${total} in-process inputs + ${tcpInputs} TCP connections; ${codes.size} distinct error codes (${[...codes].sort().join(', ')})`);
  console.log(`untyped errors: ${untyped.length}; invariant failures: 0; max heap ${mb(maxHeap)}, rss ${mb(process.memoryUsage().rss)}`);
  if (untyped.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : errorKey(error));
  process.exitCode = 1;
});
