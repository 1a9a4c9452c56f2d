/**
 * jpay-settlement: settlement (end of day), or — only when set so in the dialog with its
 * confirmation — clear, which deletes the terminal's log. The S-report goes to msg.payload.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { resolveSettlementOperation, type SettlementOperation } from '../shared/report-input';
import { parseSettings } from '../shared/status';
import { connectUser } from '../shared/user-node';
import type { NodeSetup } from '../shared/register';

const NS = 'jpay-settlement';

interface JpaySettlementDef extends NodeDef {
  terminal: string;
  operation?: string;
  confirmClear?: boolean;
}

export function setupOf(RED: NodeAPI): NodeSetup<JpaySettlementDef> {
  function setup(node: Node, config: JpaySettlementDef): void {
    const operation = parseSettings(node, NS, (): SettlementOperation => resolveSettlementOperation(config));
    if (operation === undefined) return;
    const user = connectUser(RED, node, config.terminal, NS);
    if (!user) return;
    const client = user.terminal.client;

    node.on('input', (msg, send, done) => {
      user.status('busy', `${NS}.status.${operation === 'clear' ? 'clearing' : 'running'}`);
      user.track(operation === 'clear' ? client.clear() : client.settlement()).then(
        (report) => {
          msg.payload = report;
          msg.operation = operation;
          if (report.passed) user.status('ok', `${NS}.status.passed`);
          else user.status('error', `${NS}.status.failed`);
          send(msg);
          done();
        },
        (err: unknown) => user.fail(done, err),
      );
    });
  }

  return setup;
}
