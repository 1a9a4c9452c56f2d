import assert from 'node:assert/strict';
import type { AdminPayload } from '../../lib/results/admin';
import { runActivator } from '../helpers/sim-activator';
import { acceptLogin, reply, ScriptedTerminal } from '../helpers/scripted-terminal';
import { assertNoSecrets, errorOf, helper, loadNode, nodeTestbed, PASSWORD, statuses, terminalApi, type Loaded } from './fixtures';

const ADMIN = { type: 'jpay-admin', command: 'msg', hostKeyName: '', allowReset: false };
const KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex').toString('base64');
const NEW_PASSWORD = '24681357';

async function run(flow: Loaded, command: string, payload: unknown = {}): Promise<AdminPayload> {
  flow.send({ command, payload });
  const msg = await flow.out.next();
  assert.equal(msg.command, command);
  return msg.payload as AdminPayload;
}

describe('nodes/jpay-admin (built, real runtime, simulator over TCP)', function () {
  this.timeout(15000);
  const bed = nodeTestbed({ terminal: { password: PASSWORD, tid: '00012345' } });

  it('runs the token commands chosen by msg.command, with typed results', async () => {
    const flow = await loadNode(bed.sim, ADMIN);
    const params = await run(flow, 'getparameters');
    assert.ok(params.command === 'getparameters' && params.parameters.tid === '00012345');
    assert.deepEqual(await run(flow, 'testconnection'), { command: 'testconnection', ok: true });
    assert.deepEqual(await run(flow, 'updateconfiguration'), { command: 'updateconfiguration', ok: true });
    const work = await run(flow, 'loadworkkeys');
    assert.ok(work.command === 'loadworkkeys' && typeof work.receipt === 'object');
    const master = await run(flow, 'loadmasterkeys');
    assert.ok(master.command === 'loadmasterkeys' && /^[0-9A-F]{6}$/i.test(master.receipt.pinKcv ?? ''));
    assert.deepEqual(statuses(helper.getNode('dut')).at(-1), { fill: 'green', shape: 'dot', text: 'jpay-admin.status.done' });
    assertNoSecrets(flow.all, [PASSWORD]);
  });

  it('uses the command set in the dialog when msg.command is absent', async () => {
    const flow = await loadNode(bed.sim, { ...ADMIN, command: 'testconnection' });
    flow.send({ payload: 1 });
    assert.deepEqual((await flow.out.next()).payload, { command: 'testconnection', ok: true });
  });

  it('changes the password and sets a host key without ever echoing the secrets', async () => {
    const flow = await loadNode(bed.sim, { ...ADMIN, hostKeyName: 'sam-host' }, { encrypt: true });
    assert.deepEqual(await run(flow, 'changepassword', { newPassword: NEW_PASSWORD, note: 'rotation' }), { command: 'changepassword', ok: true });
    // The shared client goes on with the new password.
    await terminalApi().client.report('brief');
    assert.deepEqual(await run(flow, 'sethostkey', { material: KEY }), { command: 'sethostkey', ok: true, name: 'sam-host' });
    // A refused secret goes to the Catch node without the secret in the msg.
    flow.send({ command: 'changepassword', payload: { newPassword: 'abc-secret-1' } });
    const caught = await flow.caught.next();
    assert.equal(errorOf(caught).code, 'JPAY_VALIDATION');
    assert.deepEqual(caught.payload, {});
    assertNoSecrets(flow.all, [PASSWORD, NEW_PASSWORD, KEY, 'abc-secret-1']);
  });

  it('reports a terminal refusal (bad key) as JPAY_STATUS without the key material', async () => {
    const flow = await loadNode(bed.sim, ADMIN);
    // The simulator takes keys of 1 to 64 bytes (§8.15 sets no length): 65 is refused.
    const tooLong = Buffer.alloc(65, 1).toString('base64');
    flow.send({ command: 'sethostkey', payload: { name: 'k1', material: tooLong } });
    const caught = await flow.caught.next();
    assert.equal(errorOf(caught).code, 'JPAY_STATUS');
    assert.match(errorOf(caught).message, /invalidarguments/);
    assertNoSecrets([caught], [tooLong]);
  });

  it('runs resetpassword and runreset only when allowed', async () => {
    let flow = await loadNode(bed.sim, ADMIN);
    flow.send({ command: 'resetpassword' });
    const refused = errorOf(await flow.caught.next());
    assert.equal(refused.code, 'JPAY_VALIDATION');
    assert.match(refused.message, /Allow reset/);
    assert.equal(bed.sim.events().filter((e) => e.type === 'command').length, 0);
    await helper.unload();

    flow = await loadNode(bed.sim, { ...ADMIN, allowReset: true });
    flow.send({ command: 'runreset' });
    await bed.sim.waitForEvent((e) => e.type === 'activator' || (e.type === 'message' && e.name === 'keep-alive'), 5000).catch(() => undefined);
    const activator = await runActivator(bed.sim.activatorPort);
    assert.ok(activator.requests.length >= 3);
    assert.deepEqual((await flow.out.next()).payload, { command: 'runreset', ok: true });
    assert.ok(statuses(helper.getNode('dut')).some((s) => s.text === 'jpay-admin.status.waitingActivator'));
    assert.deepEqual(await run(flow, 'resetpassword'), { command: 'resetpassword', ok: true });
  });

  it("keeps the token login returned when it is not 32 hex digits (§8.1's example: 18 digits) and never shows it", async () => {
    const token = '392480923040932923';
    const terminal = await ScriptedTerminal.start([acceptLogin(token), reply('getparameters', 'ok', { parameters: { tid: '00012345' } }), reply('testconnection')]);
    try {
      const flow = await loadNode({ host: '127.0.0.1', port: terminal.port }, ADMIN);
      const params = await run(flow, 'getparameters');
      assert.ok(params.command === 'getparameters' && params.parameters.tid === '00012345');
      assert.deepEqual(await run(flow, 'testconnection'), { command: 'testconnection', ok: true });
      await terminal.done();
      assert.deepEqual(terminal.commands.slice(1).map((c) => c.body.token), [token, token]);
      assertNoSecrets(flow.all, [PASSWORD, token]);
    } finally {
      await terminal.close();
    }
  });

  it('refuses an unknown msg.command', async () => {
    const flow = await loadNode(bed.sim, ADMIN);
    flow.send({ command: 'format-disk' });
    const err = errorOf(await flow.caught.next());
    assert.equal(err.code, 'JPAY_VALIDATION');
    assert.match(err.message, /msg\.command/);
  });
});
