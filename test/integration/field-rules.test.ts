/**
 * One rulebook (issue 15.1): the same bad input given to the library (JpayClient), the flow
 * (the jpay-transaction / jpay-admin / jpay-report inputs) and the CLI (`jpay`) is refused
 * with the same field — each with its own prefix: `rrn`, `msg.payload.rrn`, `--rrn` — and
 * the same reason, word for word, before anything reaches the terminal. No error quotes a
 * secret. The rules themselves are lib/protocol/schemas.ts (commands-validation.test.ts).
 */
import assert from 'node:assert/strict';
import { main, type CliIo } from '../../lib/cli/jpay/main';
import { JpayClient } from '../../lib/client';
import { JpayValidationError } from '../../lib/errors';
import { buildAdminRequest } from '../../nodes/jpay-admin/admin-input';
import { resolveReportType } from '../../nodes/shared/report-input';
import { buildTransactionRequest } from '../../nodes/jpay-transaction/transaction-input';
import type { SimulatorEvent, SimulatorHandle } from '../../lib/simulator';
import type { CommandName } from '../../lib/protocol/types';
import { startTestSimulator } from '../helpers/sim-fixtures';

const PASSWORD = '12345678';
const PAN = '4000000000000002';

interface Row {
  name: string;
  /** What the library is asked: JpayClient.send(command, params). */
  command: CommandName;
  params: Record<string, unknown>;
  /** The same input to the flow (undefined: a flow cannot say it, e.g. manual card entry). */
  flow?: () => unknown;
  /** The same input on the command line, after the global options (undefined: the CLI cannot say it). */
  cli?: string[];
  /** The parameter the library names; the flow prefixes `msg.payload.`, the CLI names its option. */
  field: string;
  flowField?: string;
  option?: string;
  reason: RegExp;
  /** A value no error may quote. */
  secret?: string;
}

const tx = (payload: Record<string, unknown>) => () => buildTransactionRequest(payload, {});
const admin = (command: string, payload: Record<string, unknown>) => () => buildAdminRequest({ command, payload }, {});
const manualCli = ['manual', '--type', 'purchase', '--amount', '1', '--pan', PAN, '--expiry', '2712'];
const manual = { type: 'purchase', amount: 100, manual: { pan: PAN, expiry: '2712' } };

const ROWS: Row[] = [
  {
    name: 'a card refund with a short rrn (an SBP id without --sbp)',
    command: 'transaction',
    params: { type: 'refund', amount: 500, rrn: '232796' },
    flow: tx({ type: 'refund', amount: 500, rrn: '232796' }),
    cli: ['refund', '--amount', '5', '--rrn', '232796'],
    field: 'rrn',
    reason: /exactly 12 characters/,
  },
  {
    name: 'an SBP refund with a 13-character rrn',
    command: 'transaction',
    params: { type: 'refund', amount: 500, rrn: '1234567890123', sbp: true },
    flow: tx({ type: 'refund', amount: 500, rrn: '1234567890123', sbp: true }),
    cli: ['refund', '--amount', '5', '--sbp', '--rrn', '1234567890123'],
    field: 'rrn',
    reason: /1 to 12 printable characters/,
  },
  {
    name: 'an rrn with a space',
    command: 'transaction',
    params: { type: 'refund', amount: 500, rrn: 'AS10 0670LSS' },
    flow: tx({ type: 'refund', amount: 500, rrn: 'AS10 0670LSS' }),
    cli: ['refund', '--amount', '5', '--rrn', 'AS10 0670LSS'],
    field: 'rrn',
    reason: /without spaces/,
  },
  {
    name: 'an rrn on a purchase',
    command: 'transaction',
    params: { ...manual, rrn: '120157645346' },
    flow: tx({ type: 'purchase', amount: 100, rrn: '120157645346' }),
    cli: [...manualCli, '--rrn', '120157645346'],
    field: 'rrn',
    reason: /^is only allowed on a refund$/,
  },
  {
    name: 'a purchase of nothing',
    command: 'transaction',
    params: { type: 'purchase', amount: 0 },
    flow: tx({ type: 'purchase', amount: 0 }),
    cli: ['purchase', '--amount', '0'],
    field: 'amount',
    reason: /^must be an integer number of minor units \(kopecks\) from 1 to 999999999999$/,
  },
  {
    name: 'an amount beyond 12 digits',
    command: 'transaction',
    params: { type: 'purchase', amount: 1_000_000_000_000 },
    flow: tx({ type: 'purchase', amount: 1_000_000_000_000 }),
    cli: ['purchase', '--amount', '10000000000.00'],
    field: 'amount',
    reason: /from 1 to 999999999999/,
  },
  {
    name: 'a purchase without an amount',
    command: 'transaction',
    params: { type: 'purchase' },
    flow: tx({ type: 'purchase' }),
    cli: ['purchase'],
    field: 'amount',
    reason: /^is required for a purchase/,
  },
  {
    name: 'a currency by its letters',
    command: 'transaction',
    params: { type: 'purchase', amount: 100, currency: 'RUB' },
    flow: tx({ type: 'purchase', amount: 100, currency: 'RUB' }),
    cli: ['purchase', '--amount', '1', '--currency', 'RUB'],
    field: 'currency',
    reason: /ISO 4217 numeric code/,
  },
  {
    name: 'a void without a receipt number',
    command: 'transaction',
    params: { type: 'void' },
    flow: tx({ type: 'void' }),
    cli: ['void'],
    field: 'number',
    reason: /^is required for a void/,
  },
  {
    name: 'a receipt number of 7 digits',
    command: 'transaction',
    params: { type: 'void', number: 1_234_567 },
    flow: tx({ type: 'void', number: '1234567' }),
    cli: ['void', '--number', '1234567'],
    field: 'number',
    reason: /receipt number/,
  },
  {
    name: 'a receipt number that is a word',
    command: 'transaction',
    params: { type: 'void', number: 'first' },
    flow: tx({ type: 'void', number: 'first' }),
    cli: ['void', '--number', 'first'],
    field: 'number',
    reason: /receipt number/,
  },
  {
    name: 'a cashback without the cash',
    command: 'transaction',
    params: { type: 'purchase-with-cashback', amount: 1000 },
    flow: tx({ type: 'purchase-with-cashback', amount: 1000 }),
    cli: ['cashback', '--amount', '10'],
    field: 'amountOther',
    option: '--cashback',
    reason: /^is required for a purchase-with-cashback$/,
  },
  {
    name: 'a cashback of nothing',
    command: 'transaction',
    params: { type: 'purchase-with-cashback', amount: 1000, amountOther: 0 },
    flow: tx({ type: 'purchase-with-cashback', amount: 1000, amountOther: 0 }),
    cli: ['cashback', '--amount', '10', '--cashback', '0'],
    field: 'amountOther',
    option: '--cashback',
    reason: /from 1 to/,
  },
  {
    name: 'SBP on a void',
    command: 'transaction',
    params: { type: 'void', number: 1, sbp: true },
    flow: tx({ type: 'void', number: 1, sbp: true }),
    field: 'type',
    reason: /^must be purchase or refund when sbp is true$/,
  },
  {
    name: 'a forced purchase',
    command: 'transaction',
    params: { type: 'purchase', amount: 100, forced: true },
    flow: tx({ type: 'purchase', amount: 100, forced: true }),
    field: 'forced',
    reason: /^can only be true on a refund$/,
  },
  {
    name: 'a card number of 21 digits',
    command: 'transaction',
    params: { ...manual, manual: { pan: `${PAN}12345`, expiry: '2712' } },
    cli: ['manual', '--type', 'purchase', '--amount', '1', '--pan', `${PAN}12345`, '--expiry', '2712'],
    field: 'manual.pan',
    option: '--pan',
    reason: /^must be 12 to 19 digits$/,
    secret: PAN,
  },
  {
    name: 'an expiry in month 13',
    command: 'transaction',
    params: { ...manual, manual: { pan: PAN, expiry: '2713' } },
    cli: ['manual', '--type', 'purchase', '--amount', '1', '--pan', PAN, '--expiry', '2713'],
    field: 'manual.expiry',
    option: '--expiry',
    reason: /YYMM/,
    secret: PAN,
  },
  {
    name: 'a new password with letters',
    command: 'changepassword',
    params: { newPassword: 'abc12345' },
    flow: admin('changepassword', { newPassword: 'abc12345' }),
    cli: ['changepassword', '--new', 'abc12345'],
    field: 'newPassword',
    option: '--new',
    reason: /^must be exactly 8 digits$/,
    secret: 'abc12345',
  },
  {
    name: 'no new password',
    command: 'changepassword',
    params: {},
    flow: admin('changepassword', {}),
    cli: ['changepassword'],
    field: 'newPassword',
    option: '--new',
    reason: /^is required$/,
  },
  {
    name: 'host key material that is not Base64',
    command: 'sethostkey',
    params: { name: 'host1', material: 'not base64!' },
    flow: admin('sethostkey', { name: 'host1', material: 'not base64!' }),
    cli: ['sethostkey', '--name', 'host1', '--material', 'not base64!'],
    field: 'material',
    reason: /Base64/,
    secret: 'not base64!',
  },
  {
    name: 'a host key name of 65 characters',
    command: 'sethostkey',
    params: { name: 'k'.repeat(65), material: 'AAECAw==' },
    flow: admin('sethostkey', { name: 'k'.repeat(65), material: 'AAECAw==' }),
    cli: ['sethostkey', '--name', 'k'.repeat(65), '--material', 'AAECAw=='],
    field: 'name',
    reason: /1 to 64 characters/,
    secret: 'AAECAw==',
  },
  {
    name: 'a report type the terminal does not know',
    command: 'report',
    params: { reportType: 'long' },
    flow: () => resolveReportType('long', 'brief'),
    field: 'reportType',
    flowField: 'msg.reportType',
    reason: /^must be brief or full$/,
  },
];

function refusal(fn: () => unknown): JpayValidationError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof JpayValidationError, `a JpayValidationError, got ${String(error)}`);
    return error;
  }
  assert.fail('accepted');
}

async function rejection(promise: Promise<unknown>): Promise<JpayValidationError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof JpayValidationError, `a JpayValidationError, got ${String(error)}`);
    return error;
  }
  assert.fail('accepted');
}

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io: CliIo & { out: string; err: string } = {
    argv,
    env: {},
    out: '',
    err: '',
    stdout(text) {
      io.out += text;
    },
    stderr(text) {
      io.err += text;
    },
  };
  const code = await main(io);
  return { code, out: io.out, err: io.err };
}

describe('one rulebook: the library, the flow and the CLI refuse alike', function () {
  this.timeout(20_000);
  let sim: SimulatorHandle;
  let client: JpayClient;
  const reached: SimulatorEvent[] = [];
  const onEvent = (e: SimulatorEvent): void => {
    if (e.type === 'command' || e.type === 'bad-input') reached.push(e);
  };

  before(async () => {
    sim = await startTestSimulator();
    sim.on('event', onEvent);
    client = new JpayClient({ host: '127.0.0.1', port: sim.port, password: PASSWORD });
  });

  after(async () => {
    await client.close();
    sim.off('event', onEvent);
    await sim.close();
  });

  afterEach(() => assert.deepEqual(reached.splice(0), [], 'nothing reached the terminal'));

  for (const row of ROWS) {
    it(`${row.name}: ${row.field}`, async () => {
      const library = await rejection(client.send(row.command, row.params as never));
      assert.equal(library.field, row.field);
      assert.match(library.rule, row.reason);
      const messages = [library.message];

      if (row.flow) {
        const flow = refusal(row.flow);
        assert.equal(flow.field, row.flowField ?? `msg.payload.${row.field}`);
        assert.equal(flow.rule, library.rule);
        messages.push(flow.message);
      }
      if (row.cli) {
        const run = await cli(['--port', String(sim.port), '--password', PASSWORD, ...row.cli]);
        assert.equal(run.code, 2, run.err);
        assert.equal(run.out, '');
        const option = row.option ?? `--${row.field}`;
        assert.equal(run.err.split('\n')[0], `jpay ${row.cli[0]}: ${option}: ${library.rule}`);
        messages.push(run.err);
      }
      for (const m of messages) {
        assert.ok(!m.includes(PASSWORD), m);
        if (row.secret) assert.ok(!m.includes(row.secret), m);
      }
    });
  }

  it("the CLI's help is right: an SBP refund takes the payment's SBP id as --rrn, everywhere", async () => {
    const sbp = { type: 'refund', amount: 500, rrn: '232796', sbp: true };
    assert.deepEqual(buildTransactionRequest(sbp, {}), sbp);
    const run = await cli(['--port', String(sim.port), '--json', 'refund', '--amount', '5', '--sbp', '--rrn', '232796']);
    assert.notEqual(run.code, 2, run.err);
    const answered = (await client.send('transaction', sbp as never)) as { status: string };
    assert.equal(typeof answered.status, 'string');
    reached.splice(0); // both reached the terminal, as they should
  });
});
