import assert from 'node:assert/strict';
import type { NodeMessage } from 'node-red';
import type { TransactionPayload } from '../../lib/results/transaction';
import type { SimulatorHandle } from '../../lib/simulator';
import type { TerminalState } from '../../nodes/shared/terminal-api';
import { startTestSimulator } from '../helpers/sim-fixtures';
import { ALL_NODES, helper, inbox, onTab, PASSWORD, TAB, TERMINAL_ID, terminalApi, terminalConfig, warnings } from './fixtures';

const tx = (id: string, amount: string): Record<string, unknown> & { id: string; type: string } => ({
  id,
  type: 'jpay-transaction',
  terminal: TERMINAL_ID,
  txType: 'purchase',
  amount,
  sbp: 'auto',
  wires: [['out'], []],
});

describe('nodes/jpay-terminal (built, real runtime, simulator over TCP)', function () {
  this.timeout(15000);
  let sim: SimulatorHandle;

  beforeEach(async () => {
    sim = await startTestSimulator({ terminal: { password: PASSWORD } });
  });

  afterEach(async () => {
    await helper.unload();
    await sim.close();
  });

  it('shares one client: commands of several nodes are queued, never overlap', async () => {
    await helper.load(
      ALL_NODES,
      onTab([terminalConfig(sim), tx('a', '1000'), tx('b', '2000'), { id: 'r', type: 'jpay-report', terminal: TERMINAL_ID, reportType: 'full', wires: [['out']] }, { id: 'out', type: 'helper' }]),
      { [TERMINAL_ID]: { password: PASSWORD } },
    );
    const out = inbox(helper.getNode('out'));
    helper.getNode('a').receive({ payload: {} });
    helper.getNode('b').receive({ payload: {} });
    helper.getNode('r').receive({ payload: {} });
    const got: NodeMessage[] = [await out.next(), await out.next(), await out.next()];
    const amounts = got.slice(0, 2).map((m) => (m.payload as TransactionPayload).receipt?.amountAuthorized);
    assert.deepEqual(amounts, [1000, 2000], 'in arrival order');
    assert.equal(got[2].reportType, 'full');
    assert.equal(sim.events().filter((e) => e.type === 'busy').length, 0, 'the terminal never saw two commands at once');
  });

  it('broadcasts its state to users and warns about a second card handler', async () => {
    await helper.load(ALL_NODES, onTab([terminalConfig(sim)]), { [TERMINAL_ID]: { password: PASSWORD } });
    const api = terminalApi();
    assert.equal(api.info.label, 'sim');
    assert.ok(!JSON.stringify(api.info).includes(PASSWORD));
    const seen: TerminalState[] = [];
    api.registerUser({ id: 'u1', onTerminalState: (s) => seen.push(s) });
    await api.client.getParameters();
    assert.deepEqual(seen.map((s) => s.state), ['idle', 'busy', 'idle']);
    api.deregisterUser({ id: 'u1' });

    api.registerCardHandler('c1', async () => ({ code: 'close' }));
    api.registerCardHandler('c2', async () => ({ code: 'close' }));
    assert.ok(warnings(helper.getNode(TERMINAL_ID)).some((w) => /jpay-terminal\.warn\.several-card-handlers|card handler/.test(w)));
    api.deregisterCardHandler('c1');
    api.deregisterCardHandler('c2');
  });

  it('tells users when the terminal is unreachable', async () => {
    const port = sim.port;
    await sim.close();
    await helper.load(ALL_NODES, onTab([terminalConfig(sim, { port, connectTimeout: 300 })]), { [TERMINAL_ID]: { password: PASSWORD } });
    const seen: TerminalState[] = [];
    const user = { id: 'u1', onTerminalState: (s: TerminalState): void => void seen.push(s) };
    terminalApi().registerUser(user);
    await assert.rejects(terminalApi().client.testConnection(), { name: 'JpayConnectionError' });
    assert.equal(seen.at(-1)?.state, 'unreachable');
    terminalApi().deregisterUser(user);
    sim = await startTestSimulator();
  });

  it('refuses an invalid password setting without starting a client', async () => {
    await helper.load(ALL_NODES, onTab([terminalConfig(sim), { ...tx('a', '100'), wires: [['out'], []] }, { id: 'out', type: 'helper' }]), {
      [TERMINAL_ID]: { password: 'not-8-digits' },
    });
    const node = helper.getNode(TERMINAL_ID) as unknown as Record<string, unknown>;
    assert.equal(node.jpayTerminal, undefined);
    const errors = (helper.getNode(TERMINAL_ID).error as unknown as { args: unknown[][] }).args.map((a) => String(a[0]));
    // The test runtime has no message catalog: the key stands for the translated text.
    assert.ok(errors.includes('jpay-terminal.errors.config'), errors.join());
    assert.ok(!errors.join().includes('not-8-digits'));
  });

  it('closes its client on redeploy: queued work is rejected, nothing keeps running', async () => {
    await helper.load(ALL_NODES, onTab([terminalConfig(sim)]), { [TERMINAL_ID]: { password: PASSWORD } });
    const api = terminalApi();
    const first = api.client.getParameters();
    const queued = api.client.report('brief');
    await first;
    await helper.unload();
    assert.equal(api.closed, true);
    assert.equal(api.client.closed, true);
    await queued.then(
      () => undefined,
      (err: unknown) => assert.match(String(err), /closed/),
    );
    await assert.rejects(api.client.getParameters(), /client closed/);
    assert.equal(TAB, 'f1');
  });
});
