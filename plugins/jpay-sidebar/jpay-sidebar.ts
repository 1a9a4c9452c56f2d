/**
 * jpay-sidebar (Node-RED plugin, runtime part): the operator's board of every running
 * jpay-terminal and receipt outbox (lib/operator), pushed to the editor through RED.comms
 * on the retained topic `jpay/terminals`, and the admin routes behind the sidebar's buttons:
 *
 *   GET  /jpay/terminals                              jpay.read   the board
 *   POST /jpay/terminals/:id/test-connection          jpay.write
 *   POST /jpay/terminals/:id/x-report                 jpay.write
 *   POST /jpay/terminals/:id/purchase/confirmation    jpay.write  {amount} → {token, terminal, amount}
 *   POST /jpay/terminals/:id/purchase                 jpay.write  {token}  → the purchase's result
 *
 * With adminAuth a user's permissions decide (`*` and `write` may act, `read` may look);
 * without adminAuth everyone may (docs/operator-ui.md). The editor part is jpay-sidebar.html.
 */
import type { RequestHandler } from 'express';
import type * as Runtime from './runtime';

const ROUTE = '/jpay/terminals';

export = function register(RED: Runtime.PluginAPI): void {
  let sidebar: Runtime.Sidebar | undefined;
  const open = (): Runtime.Sidebar => (sidebar ??= (require('./runtime') as typeof Runtime).openSidebar(RED));

  // After every (partial) deploy and stop: the running terminals and outboxes.
  const scan = (): void => {
    if (sidebar) {
      sidebar.scan();
      return;
    }
    // Flows without the package's nodes do not load the board (which nodes it shows is the board's business).
    let used = false;
    RED.nodes.eachNode((def) => {
      used ||= def.type.startsWith('jpay-');
    });
    if (used) open();
  };
  RED.events.on('flows:started', scan);
  RED.events.on('flows:stopped', scan);

  const read = RED.auth.needsPermission('jpay.read') as RequestHandler;
  const write = RED.auth.needsPermission('jpay.write') as RequestHandler;
  RED.httpAdmin.get(ROUTE, read, (req, res, next) => open().board(req, res, next));
  RED.httpAdmin.post(`${ROUTE}/:id/test-connection`, write, (req, res, next) => open().testConnection(req, res, next));
  RED.httpAdmin.post(`${ROUTE}/:id/x-report`, write, (req, res, next) => open().xReport(req, res, next));
  RED.httpAdmin.post(`${ROUTE}/:id/purchase/confirmation`, write, (req, res, next) => open().confirmPurchase(req, res, next));
  RED.httpAdmin.post(`${ROUTE}/:id/purchase`, write, (req, res, next) => open().purchase(req, res, next));

  RED.plugins.registerPlugin('jpay-sidebar', {
    type: 'jpay-sidebar',
    onadd: () => undefined,
  });
};
