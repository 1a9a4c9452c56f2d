/**
 * The `npm start` demo runs a jpay-gateway on its embedded broker, and the shell lines of
 * docs/fleet.md ("Try it against the demo") work against it as written — with the demo's
 * random broker port in place of 1883.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { TestSubscriber } from '../helpers/mosquitto';
import { startDemoProcess, type DemoProcess } from '../helpers/node-red-demo';

const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

/** The command lines of the sh block under "## Try it against the demo" (continuations joined, comments dropped). */
function docLines(): string[] {
  const doc = readFileSync(path.join(ROOT, 'docs', 'fleet.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Try it against the demo'));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(block, 'docs/fleet.md: the demo section has its sh block');
  return block[1]
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

describe('the npm start demo answers the fleet commands of docs/fleet.md', function () {
  this.timeout(120_000);
  let demo: DemoProcess;
  let answers: TestSubscriber;

  before(async () => {
    demo = await startDemoProcess();
    answers = await TestSubscriber.connect(`mqtt://127.0.0.1:${demo.mqttPort}`, ['jpay/demo/res/+', 'jpay/demo/state']);
  });
  after(async () => {
    await answers?.close();
    await demo?.stop();
  });

  it('every jpay --mqtt and mosquitto_pub line of the doc works (mosquitto_sub aside: it runs until stopped)', async () => {
    await answers.waitFor((m) => m.some((x) => x.topic === 'jpay/demo/state' && JSON.parse(x.payload).state === 'online'), 30_000, 'the demo gateway online');
    const lines = docLines().filter((l) => !l.startsWith('mosquitto_sub'));
    assert.ok(lines.filter((l) => l.startsWith('npx jpay')).length >= 6 && lines.filter((l) => l.startsWith('mosquitto_pub')).length >= 3, lines.join('\n'));
    const outputs: { line: string; stdout: string; stderr: string }[] = [];
    for (const line of lines) {
      const local = line.replace(/127\.0\.0\.1:1883/g, `127.0.0.1:${demo.mqttPort}`).replace(/-h 127\.0\.0\.1 /g, `-h 127.0.0.1 -p ${demo.mqttPort} `);
      try {
        const { stdout, stderr } = await run('bash', ['-c', local], { cwd: ROOT, timeout: 60_000 });
        outputs.push({ line, stdout, stderr });
      } catch (error) {
        const e = error as { code?: number; stdout?: string; stderr?: string };
        assert.fail(`${line}\nexited ${e.code}\n${e.stdout ?? ''}\n${e.stderr ?? ''}\n--- the demo printed:\n${demo.output()}`);
      }
    }
    const out = (start: string): string[] => outputs.filter((o) => o.line.startsWith(start)).map((o) => o.stdout);
    assert.match(out('npx jpay --mqtt mqtt://127.0.0.1:1883 --tid demo getparameters')[0], /Terminal parameters:[\s\S]*tid\s+10000001/);
    assert.match(out('npx jpay --mqtt mqtt://127.0.0.1:1883 --tid demo report --full')[0], /^X-REPORT/);
    assert.equal(JSON.parse(out('npx jpay --mqtt mqtt://127.0.0.1:1883 --tid demo testconnection --json')[0]).outcome, 'ok');
    assert.match(out('npx jpay --mqtt mqtt://127.0.0.1:1883 --all settlement')[0], /^demo\s+online\s+ok\s+ok\s/m);
    const paid = out('npx jpay --mqtt mqtt://127.0.0.1:1883 --tid demo purchase --amount 12.50 --id order-1001');
    assert.equal(paid.length, 2);
    for (const p of paid) assert.match(p, /^APPROVED {2}purchase 12\.50/);
    assert.match(outputs.filter((o) => o.line.includes('--id order-1001'))[1].stderr, /stored answer of an earlier request with id order-1001/);

    // The mosquitto_pub requests are answered on jpay/demo/res/<id>.
    await answers.waitFor((m) => ['q1', 'order-1002', 'q2'].every((id) => m.some((x) => x.topic === `jpay/demo/res/${id}`)), 30_000, 'the answers to mosquitto_pub');
    const answer = (id: string): { outcome: string; error?: { code: string } } => JSON.parse(answers.messages.find((x) => x.topic === `jpay/demo/res/${id}`)!.payload);
    assert.equal(answer('q1').outcome, 'ok');
    assert.equal(answer('order-1002').outcome, 'approved');
    assert.deepEqual([answer('q2').outcome, answer('q2').error?.code], ['refused', 'disabled']);
  });
});
