/**
 * jpay-admin: one admin command (from the dialog or msg.command) → a typed result in
 * msg.payload. Secrets in msg.payload are removed from the msg before anything else.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { buildAdminRequest, redactAdminPayload, type AdminConfig, type AdminRequest } from './admin-input';
import { runAdminCommand } from '../../lib/results/admin';
import { connectUser } from '../shared/user-node';
import type { NodeSetup } from '../shared/register';

const NS = 'jpay-admin';

interface JpayAdminDef extends NodeDef, AdminConfig {
  terminal: string;
}

export function setupOf(RED: NodeAPI): NodeSetup<JpayAdminDef> {
  function setup(node: Node, config: JpayAdminDef): void {
    const user = connectUser(RED, node, config.terminal, NS);
    if (!user) return;
    const running = new Set<AbortController>();
    user.onClose(() => running.forEach((c) => c.abort()));

    node.on('input', (msg, send, done) => {
      // The msg keeps no secret from here on, whatever happens next (output, Catch node).
      const given = msg.payload;
      msg.payload = redactAdminPayload(given);
      let request: AdminRequest;
      try {
        request = buildAdminRequest({ command: msg.command, payload: given }, config);
      } catch (err) {
        user.fail(done, err);
        return;
      }
      const abort = new AbortController();
      running.add(abort);
      user.status('busy', `${NS}.command.${request.command}`);
      const work = runAdminCommand(user.terminal.client, request, {
        signal: abort.signal,
        onResetKeepAlive: (m) => user.status('busy', `${NS}.status.${m.activatorConnected ? 'activator' : 'waitingActivator'}`),
      });
      user.track(work).then(
        (payload) => {
          running.delete(abort);
          msg.payload = payload;
          msg.command = request.command;
          user.status('ok', `${NS}.status.done`);
          send(msg);
          done();
        },
        (err: unknown) => {
          running.delete(abort);
          user.fail(done, err);
        },
      );
    });
  }

  return setup;
}
