import assert from 'node:assert/strict';
import { JpayValidationError } from '../../../lib/errors';
import { buildAdminRequest, redactAdminPayload, resolveAdminCommand } from '../../../nodes/jpay-admin/admin-input';

function refuses(fn: () => unknown, field: string): JpayValidationError {
  let caught: JpayValidationError | undefined;
  assert.throws(fn, (e: unknown) => {
    caught = e as JpayValidationError;
    return e instanceof JpayValidationError && e.field === field;
  });
  return caught as JpayValidationError;
}

describe('flow/admin-input', () => {
  it('takes the command from msg.command, else from the node', () => {
    assert.equal(resolveAdminCommand(undefined, { command: 'getparameters' }), 'getparameters');
    assert.equal(resolveAdminCommand('TestConnection', { command: 'getparameters' }), 'testconnection');
    refuses(() => resolveAdminCommand(undefined, { command: 'msg' }), 'msg.command');
    refuses(() => resolveAdminCommand('format', { command: 'msg' }), 'msg.command');
  });

  it('takes secrets from msg.payload and never echoes them in an error', () => {
    assert.deepEqual(buildAdminRequest({ command: 'changepassword', payload: { newPassword: '87654321' } }, {}), {
      command: 'changepassword',
      newPassword: '87654321',
    });
    const err = refuses(() => buildAdminRequest({ command: 'changepassword', payload: { newPassword: 'secret99x' } }, {}), 'msg.payload.newPassword');
    assert.ok(!err.message.includes('secret99x'));
    assert.deepEqual(buildAdminRequest({ command: 'sethostkey', payload: { material: 'AAECAw==' } }, { hostKeyName: 'host1' }), {
      command: 'sethostkey',
      name: 'host1',
      material: 'AAECAw==',
    });
    refuses(() => buildAdminRequest({ command: 'sethostkey', payload: { material: 'AAECAw==' } }, {}), 'msg.payload.name');
    refuses(() => buildAdminRequest({ command: 'sethostkey', payload: { name: 'k', material: 'not base64!' } }, {}), 'msg.payload.material');
  });

  it('runs reset commands only when the node allows them', () => {
    refuses(() => buildAdminRequest({ command: 'runreset' }, {}), 'command');
    refuses(() => buildAdminRequest({}, { command: 'resetpassword' }), 'command');
    assert.deepEqual(buildAdminRequest({ command: 'runreset' }, { allowReset: true }), { command: 'runreset' });
  });

  it('redacts the secret fields of a payload', () => {
    assert.deepEqual(redactAdminPayload({ newPassword: '87654321', material: 'AA==', name: 'k' }), { name: 'k' });
    assert.equal(redactAdminPayload(42), 42);
  });
});
