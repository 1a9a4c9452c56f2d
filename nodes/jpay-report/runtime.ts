/**
 * jpay-report: reads the terminal's X-report (brief or full) into msg.payload.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { resolveReportType } from '../shared/report-input';
import { connectUser } from '../shared/user-node';
import type { NodeSetup } from '../shared/register';

const NS = 'jpay-report';

interface JpayReportDef extends NodeDef {
  terminal: string;
  reportType?: string;
}

export function setupOf(RED: NodeAPI): NodeSetup<JpayReportDef> {
  function setup(node: Node, config: JpayReportDef): void {
    const user = connectUser(RED, node, config.terminal, NS);
    if (!user) return;

    node.on('input', (msg, send, done) => {
      let type: ReturnType<typeof resolveReportType>;
      try {
        type = resolveReportType(msg.reportType, config.reportType);
      } catch (err) {
        user.fail(done, err);
        return;
      }
      user.status('busy', `${NS}.status.running`);
      user.track(user.terminal.client.report(type)).then(
        (report) => {
          msg.payload = report;
          msg.reportType = type;
          user.status('ok', `${NS}.status.done`);
          send(msg);
          done();
        },
        (err: unknown) => user.fail(done, err),
      );
    });
  }

  return setup;
}
