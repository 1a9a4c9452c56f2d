/**
 * docs/fleet.md's broker ACLs, on a real Mosquitto (password_file + acl_file with pattern
 * lines): only the back office publishes commands; a terminal's account can neither
 * command another terminal nor forge its answers; a publish the ACL denies does nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { GatewayRig, servedCommands } from '../helpers/gateway';
import { startMosquitto, type MosquittoBroker } from '../helpers/mosquitto';
import { FLEET_ACL } from '../helpers/fleet-acl';

const USERS: Record<string, string> = { backoffice: 'office-secret', T1: 't1-secret', T2: 't2-secret' };
const OFFICE = { username: 'backoffice', password: USERS.backoffice };

describe('integration: gateway behind Mosquitto ACLs (docs/fleet.md)', function () {
  this.timeout(20_000);
  let dir: string;
  let broker: MosquittoBroker;
  let rig: GatewayRig;
  const clients: MqttClient[] = [];

  const login = async (user: string, protocolVersion: 4 | 5 = 5): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(broker.url, { username: user, password: USERS[user], protocolVersion, reconnectPeriod: 0, clientId: `${user}-${clients.length}` });
    clients.push(c);
    return c;
  };

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'jpay-acl-'));
    chmodSync(dir, 0o755);
    const passwords = path.join(dir, 'passwords');
    writeFileSync(passwords, '');
    for (const [user, password] of Object.entries(USERS)) execFileSync('mosquitto_passwd', ['-b', passwords, user, password]);
    const acl = path.join(dir, 'acl');
    writeFileSync(acl, FLEET_ACL);
    chmodSync(passwords, 0o644);
    chmodSync(acl, 0o644);
    broker = await startMosquitto({ extraConfig: ['allow_anonymous false', `password_file ${passwords}`, `acl_file ${acl}`] });
  });
  after(async () => {
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    rig = new GatewayRig(broker.url);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true);
    await rig.close();
  });

  it('a terminal account cannot command another terminal or forge its answers; the denied publish does nothing', async () => {
    const sim = await rig.simulator();
    const gateway = await rig.gatewayAs('T1', USERS.T1, rig.client(sim), OFFICE);
    const answered: (string | null)[] = [];
    gateway.gateway.on('answer', (a) => answered.push(a.id));
    const office = await rig.requester({ username: 'backoffice', password: USERS.backoffice });
    const watch = await login('backoffice');
    const seen: string[] = [];
    watch.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
    await watch.subscribeAsync('jpay/+/res/+', { qos: 1 });

    const intruder = await login('T2');
    const overheard: string[] = [];
    intruder.on('message', (topic) => overheard.push(topic));
    // Mosquitto grants the subscription and filters what it delivers by the ACL.
    await intruder.subscribeAsync(['jpay/T1/cmd/#', 'jpay/T1/res/#'], { qos: 1 });
    await assert.rejects(intruder.publishAsync('jpay/T1/cmd/getparameters', JSON.stringify({ id: 'evil-1' }), { qos: 1 }), /not authori[sz]ed|135/i);
    await assert.rejects(intruder.publishAsync('jpay/T1/res/forged', JSON.stringify({ id: 'forged', ok: true, outcome: 'approved' }), { qos: 1 }), /not authori[sz]ed|135/i);
    // MQTT 3.1.1 has no way to say no: the broker acknowledges and drops it.
    const old = await login('T2', 4);
    await old.publishAsync('jpay/T1/cmd/getparameters', JSON.stringify({ id: 'evil-2' }), { qos: 1 });

    // Answered in order: once this answer is in, anything routed before it would have been handled.
    const ok = await office.request('T1', 'getparameters', {}, { id: 'legit' });
    assert.equal(ok.outcome, 'ok');
    assert.deepEqual(answered, ['legit']);
    assert.deepEqual(servedCommands(sim).filter((c) => c !== 'login'), ['getparameters']);
    assert.ok(!seen.some((line) => line.includes('forged') || line.includes('evil')), seen.join('\n'));
    // A round trip on the intruder's connection: whatever the broker sent it before is in.
    await intruder.subscribeAsync('jpay/T2/cmd/#', { qos: 1 });
    assert.deepEqual(overheard, [], "nor does it read the other terminal's commands or answers");
  });

  it('the back office cannot write a terminal state; a terminal account cannot command even itself', async () => {
    const sim = await rig.simulator();
    await rig.gatewayAs('T1', USERS.T1, rig.client(sim), OFFICE);
    const office = await login('backoffice');
    await assert.rejects(office.publishAsync('jpay/T1/state', JSON.stringify({ state: 'online' }), { qos: 1, retain: true }), /not authori[sz]ed|135/i);
    const t1 = await login('T1');
    await assert.rejects(t1.publishAsync('jpay/T1/cmd/settlement', JSON.stringify({ id: 'self' }), { qos: 1 }), /not authori[sz]ed|135/i, 'a terminal cannot command even itself');
  });
});
