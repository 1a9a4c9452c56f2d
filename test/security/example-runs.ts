/**
 * How the secret scan drives each example flow: the simulator options it needs and the
 * buttons to press (every inject node of the example), each awaiting the output it leads to.
 * The paths are those of test/examples/examples.test.ts.
 */
import type { NodeMessage } from 'node-red';
import type { SimulatorHandle, SimulatorOptions } from '../../lib/simulator';
import { helper, type LoadedExample } from '../helpers/node-red-flows';

export interface ExampleRun {
  prefix: string;
  simulator: SimulatorOptions;
  /** The example needs an MQTT broker (pointed at the test's). */
  mqtt?: boolean;
  /** With `mqtt`: the topics its nodes must have subscribed to before it runs (default: the receipts). */
  subscriptions?: string[];
  run(flow: LoadedExample, sim: SimulatorHandle, press: (name: string) => void): Promise<NodeMessage[]>;
}

/** The terminal has finished what it was doing (a transaction started by a press ends). */
async function idle(sim: SimulatorHandle): Promise<void> {
  while (sim.state().busy !== null) await sim.waitForEvent((e) => e.type === 'command', 10_000);
}

/**
 * An example without a run of its own (a new one): every button in name order, each
 * awaiting the first output it leads to (any debug node) and the terminal being idle again.
 */
export const GENERIC_RUN: Omit<ExampleRun, 'prefix'> = {
  simulator: { controlPort: 0, mifare: { enabled: true } },
  async run(flow, sim, press) {
    const received: NodeMessage[] = [];
    let outputs = 0;
    const waiters: (() => void)[] = [];
    for (const n of flow.nodes) {
      if (n.type !== 'helper') continue;
      helper.getNode(n.id).on('input', (msg: NodeMessage) => {
        received.push(msg);
        outputs += 1;
        waiters.splice(0).forEach((w) => w());
      });
    }
    const injects = flow.nodes.filter((n) => n.type === 'inject').sort((a, b) => String(a.name).localeCompare(String(b.name)));
    for (const inject of injects) {
      const before = outputs;
      press(String(inject.name));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`"${inject.name}": no output within 10 s`)), 10_000);
        const check = (): void => {
          if (outputs > before) {
            clearTimeout(timer);
            resolve();
          } else waiters.push(check);
        };
        check();
      });
      await idle(sim);
    }
    return received;
  },
};

/** Until the customer display (example 03) shows the QR code. */
async function untilShown(flow: LoadedExample): Promise<void> {
  const display = flow.inbox('Customer display');
  while (((await display.next()).payload as { qr: string }).qr === '');
}

export const EXAMPLE_RUNS: readonly ExampleRun[] = [
  {
    prefix: '01 - ',
    simulator: {},
    async run(flow, _sim, press) {
      const out: NodeMessage[] = [];
      for (const name of ['Pay 150.00 ₽', 'Pay 777.41 ₽ (declined)', 'Pay 300.00 ₽ + 100.00 ₽ cashback', 'Refund 50.00 ₽ (no card)', 'Void the last transaction']) {
        press(name);
        out.push(await flow.inbox('Result and receipt').next());
      }
      return out;
    },
  },
  {
    prefix: '02 - ',
    simulator: {},
    async run(flow, _sim, press) {
      press('Buy slot A1 (150.00 ₽)');
      const sold = await flow.inbox('Sold: approved receipt').next();
      press('Buy slot B3, jammed (99.00 ₽)');
      return [sold, await flow.inbox('Money given back').next()];
    },
  },
  {
    prefix: '03 - ',
    simulator: { sbp: { enabled: true, payDelayMs: 300 }, timing: { keepaliveIntervalMs: 50, cardTimeoutMs: 10_000 } },
    async run(flow, sim, press) {
      press('Car at the exit: 200.00 ₽');
      await untilShown(flow);
      const paid = await flow.inbox('Paid: barrier opens').next();
      // The second car never pays: the driver backs off and the payment is cancelled.
      sim.sbpResult('none');
      press('Car at the exit: 200.00 ₽');
      await untilShown(flow);
      press('Driver backed off: cancel');
      const cancelled = await flow.inbox('Not paid: barrier stays closed').next();
      // The operator page's buttons: the X-report and the settlement.
      flow.byName('X-report').receive({ topic: 'x-report', payload: '' });
      const report = await flow.inbox('Last report').next();
      flow.byName('Settlement').receive({ topic: 'settlement', payload: '' });
      return [paid, cancelled, report, await flow.inbox('Last report').next(), ...flow.inbox('Customer display').msgs, ...flow.inbox('Last receipts').msgs];
    },
  },
  {
    prefix: '04 - ',
    simulator: {},
    async run(flow, _sim, press) {
      const out: NodeMessage[] = [];
      for (const name of ['Settle now', 'Every day at 23:55']) {
        press(name);
        out.push(await flow.inbox('Totals before settlement').next(), await flow.inbox('Settled (S report)').next());
      }
      return out;
    },
  },
  {
    prefix: '05 - ',
    simulator: {},
    async run(flow, _sim, press) {
      const out: NodeMessage[] = [];
      for (const name of ['Get parameters', 'Test the bank connection', 'Load work keys', 'Load master keys', 'Update configuration (msg.command)', 'Full X report']) {
        press(name);
        out.push(await flow.inbox('Result').next());
      }
      return out;
    },
  },
  {
    prefix: '06 - ',
    simulator: { controlPort: 0, mifare: { enabled: true } },
    async run(flow, _sim, press) {
      const out: NodeMessage[] = [];
      press('1. Lay a loyalty card on the reader (simulator)');
      await flow.inbox('Simulator').next();
      for (let i = 0; i < 5; i++) {
        press('2. Buy a coffee (120.00 ₽)');
        out.push(await flow.inbox('Result: iface "mifare" = paid by the loyalty card').next());
      }
      press('3. Take the card away (simulator)');
      await flow.inbox('Simulator').next();
      return out;
    },
  },
  {
    prefix: '07 - ',
    // The kernel also hands over the card number (tag 5A): the flow must only see it masked.
    simulator: { dex: { enabled: true, kernelTags: [{ name: '9F06', value: '{aid}' }, { name: '9F02', value: '{amount}' }, { name: '5F2A', value: '{currency}' }, { name: '5A', value: '{pan}' }] } },
    async run(flow, _sim, press) {
      press('Pay 100.00 ₽ (Visa: 10 % off)');
      const paid = await flow.inbox('Result: see receipt.amountAuthorized').next();
      await flow.inbox('Kernel tags (card data masked)').next();
      return [paid];
    },
  },
  {
    prefix: '09 - ',
    simulator: { controlPort: 0, mifare: { enabled: true } },
    async run(flow, sim, press) {
      const out: NodeMessage[] = [];
      press('1. Lay a blank MIFARE card on the reader (simulator)');
      await flow.inbox('Simulator').next();
      for (const name of ['2. Issue card 1001 with 300.00 ₽ (staff confirms)', '3. Top up 200.00 ₽ (cash inserted)', '4. Buy a cappuccino (150.00 ₽)', '5. A coffee for 50 points (120.00 ₽)']) {
        press(name);
        out.push(await flow.inbox('Payment result: iface "mifare" = paid by the card').next());
        await idle(sim);
      }
      // A copy of the card, spent, then put back: a rollback on the alerts output.
      press('6. A card writer copies the card (simulator)');
      await flow.inbox('Simulator').next();
      press('4. Buy a cappuccino (150.00 ₽)');
      out.push(await flow.inbox('Payment result: iface "mifare" = paid by the card').next());
      await idle(sim);
      press('7. Put the old copy back, buy a cappuccino (attack)');
      out.push(await flow.inbox('Security alerts: tampered, rollback, conflict').next());
      out.push(await flow.inbox('Payment result: iface "mifare" = paid by the card').next());
      await idle(sim);
      return out;
    },
  },
  {
    prefix: '08 - ',
    simulator: {},
    mqtt: true,
    async run(flow, _sim, press) {
      press('Pay 50.00 ₽');
      return [await flow.inbox('Receipt received over MQTT').next()];
    },
  },
  {
    prefix: '10 - ',
    simulator: {},
    mqtt: true,
    subscriptions: ['jpay/demo/cmd/+', 'jpay/demo/res/+'],
    async run(flow, _sim, press) {
      press('Ask for the X report');
      return [await flow.inbox('Answer received by the back office').next(), await flow.inbox('Answers sent (audit trail)').next()];
    },
  },
];
