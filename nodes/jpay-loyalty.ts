/**
 * jpay-loyalty: the MIFARE loyalty / stored-value card handler of a terminal. Runs each
 * whole card dialogue itself (read, repair, operate, verify, close with the receipt) and
 * emits the outcome. The input arms the operation for the next card. It is an alternative
 * to jpay-card: a terminal has one card handler. The logic lives in lib/flow/loyalty-*.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { ERROR_CODES, JpayFlowError } from '../lib/flow/errors';
import { type LoyaltyConfig, type LoyaltyProgram, parseLoyaltyConfig } from '../lib/flow/loyalty-config';
import { type Armed, LoyaltyController } from '../lib/flow/loyalty-controller';
import { type LoyaltyInput, parseLoyaltyInput } from '../lib/flow/loyalty-input';
import type { LoyaltyPayload } from '../lib/flow/loyalty-output';
import type { LoyaltyReport } from '../lib/flow/loyalty-session';
import { connectUser, derivedMessage, type UserNode } from './shared/user-node';

const NS = 'jpay-loyalty';

interface JpayLoyaltyDef extends NodeDef, LoyaltyConfig {
  terminal: string;
}

/** 4550 → "45.50": display only (the payload keeps integers). */
function money(minor: number): string {
  return `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
}

export = function register(RED: NodeAPI): void {
  function JpayLoyaltyNode(this: Node, config: JpayLoyaltyDef): void {
    RED.nodes.createNode(this, config);
    setup(this, config);
  }

  function setup(node: Node, config: JpayLoyaltyDef): void {
    const user = connectUser(RED, node, config.terminal, NS);
    if (!user) return;

    let program: LoyaltyProgram;
    try {
      program = parseLoyaltyConfig(config);
    } catch (err) {
      const error = new JpayFlowError(ERROR_CODES.validation, (err as Error).message);
      node.status({ fill: 'red', shape: 'ring', text: `${NS}.status.badConfig` });
      node.error(error.message);
      node.on('input', (_msg, _send, done) => done(error));
      return;
    }
    run(node, user, program);
  }

  function summary(p: LoyaltyPayload): string {
    const state = p.after ?? p.before;
    const parts: string[] = [];
    if (state?.points !== undefined) parts.push(RED._(`${NS}.status.points`, { points: String(state.points) }));
    if (state?.balance !== undefined) parts.push(money(state.balance));
    return `#${p.memberId ?? '?'}: ${parts.join(' · ')}`;
  }

  function showOutcome(user: UserNode, p: LoyaltyPayload): void {
    switch (p.status) {
      case 'committed':
        user.status('ok', summary(p));
        return;
      case 'settled':
        user.status(p.settled === 'unknown' ? 'error' : 'ok', RED._(`${NS}.status.settled`, { result: RED._(`${NS}.settled.${p.settled ?? 'unknown'}`) }));
        return;
      case 'uncertain':
        user.status('busy', `${NS}.status.uncertain`);
        return;
      case 'not-committed':
        user.status('error', `${NS}.status.notCommitted`);
        return;
      case 'refused':
        user.status('error', RED._(`${NS}.status.refused`, { code: p.error?.code ?? '' }));
        return;
      case 'rejected-card':
        user.status('error', `${NS}.status.${p.card === 'blank' ? 'blankCard' : p.card === 'foreign' ? 'foreignCard' : 'corruptedCard'}`);
        return;
      case 'unreadable':
        user.status('error', `${NS}.status.unreadable`);
        return;
      case 'unpaid':
        user.status('error', `${NS}.status.unpaid`);
        return;
      case 'compensated':
        user.status('ok', RED._(`${NS}.status.compensated`, { summary: summary(p) }));
    }
  }

  function run(node: Node, user: UserNode, program: LoyaltyProgram): void {
    const terminal = user.terminal;

    const emit = (report: LoyaltyReport<NodeMessage>): void => {
      if (user.closing) return;
      const { payload, origin } = report;
      const topic = `loyalty/${payload.status}`;
      const msg = origin ? derivedMessage(RED, origin, topic, payload) : { topic, payload };
      showOutcome(user, payload);
      if (payload.status === 'rejected-card') {
        // A clear error for Catch nodes; the card was not written.
        const reason = payload.error?.code ?? 'corrupted-card';
        const text = RED._(`${NS}.errors.${reason}`, { detail: payload.error?.message ?? '' });
        node.error(new JpayFlowError(ERROR_CODES.validation, text), msg);
        return;
      }
      node.send(msg);
    };

    const controller = new LoyaltyController<NodeMessage>({
      program,
      report: emit,
      started: () => user.status('busy', `${NS}.status.card`),
      expired: (armed: Armed<NodeMessage>) => {
        if (user.closing) return;
        node.warn(RED._(`${NS}.warn.expired`, { operation: armed.operation.operation }));
        user.status('clear');
      },
      track: (work) => {
        void user.track(work);
      },
    });
    terminal.registerCardHandler(node.id, (message, context) => controller.handleCard(message, context));
    user.onClose(() => {
      terminal.deregisterCardHandler(node.id);
      controller.close();
    });

    node.on('input', (msg, _send, done) => {
      let input: LoyaltyInput;
      try {
        input = parseLoyaltyInput(msg.payload, program);
      } catch (err) {
        user.fail(done, err, `${NS}.status.badInput`);
        return;
      }
      if (input.operation === 'cancel') {
        if (controller.cancel() === undefined) node.warn(RED._(`${NS}.warn.nothing-armed`));
        user.status('clear');
        done();
        return;
      }
      const replaced = controller.arm(input, RED.util.cloneMessage(msg));
      if (replaced) node.warn(RED._(`${NS}.warn.replaced`, { operation: replaced.operation.operation }));
      user.status('busy', RED._(`${NS}.status.armed`, { operation: RED._(`${NS}.operation.${input.operation}`) }));
      done();
    });
  }

  RED.nodes.registerType('jpay-loyalty', JpayLoyaltyNode);
};
