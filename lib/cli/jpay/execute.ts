// Runs one validated invocation on a JpayClient. Every command goes through `send`, which
// returns the terminal's answer whatever its status: the CLI decides what a status means.

import type { JpayClient, SendOptions } from '../../client';
import type { ResponseBase } from '../../protocol/types';
import type { Invocation } from './commands';

export function execute(client: JpayClient, invocation: Exclude<Invocation, { command: 'recover' }>, options: SendOptions): Promise<ResponseBase> {
  switch (invocation.command) {
    case 'transaction':
      return client.send('transaction', invocation.request, options);
    case 'report':
      return client.send('report', { reportType: invocation.reportType }, options);
    case 'changepassword':
      return client.send('changepassword', { newPassword: invocation.newPassword.reveal() }, options);
    case 'sethostkey':
      return client.send('sethostkey', { name: invocation.name, material: invocation.material.reveal() }, options);
    default:
      return client.send(invocation.command, {}, options);
  }
}
