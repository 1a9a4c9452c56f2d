/** Request envelopes, arguments by the protocol's rules, response topics: never a throw, always a named refusal. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkArgs } from '../../../lib/gateway/commands';
import { checkRequest, secretField } from '../../../lib/gateway/request';
import { gatewayTopics, responseTopicProblem } from '../../../lib/gateway/topics';

const NOW = Date.parse('2025-01-31T10:00:00Z');

describe('gateway requests', () => {
  it('any bytes: a request or a refusal with a code, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), fc.json().map((j) => Buffer.from(j)), fc.anything().map((v) => Buffer.from(JSON.stringify({ id: 'a1', args: v, expires: v }) ?? ''))), (payload) => {
        const r = checkRequest('report', payload, NOW, 1024);
        if (r.ok) assert.equal(r.request.id.length > 0, true);
        else assert.ok(r.error.code.length > 0 && r.error.message.length > 0);
      }),
      { numRuns: 2000 },
    );
  });

  it('finds a secret or card data at any depth, by key, never by value', () => {
    assert.equal(secretField({ id: 'x', args: { nested: [{ Password: 1 }] } }), 'args.nested.0.Password');
    assert.equal(secretField({ args: { plain_text_pan: 1 } }), 'args.plain_text_pan');
    assert.equal(secretField({ args: { pan: '1' } }), 'args.pan');
    assert.equal(secretField({ args: { note: '12345678 4000000000000002' } }), undefined);
  });

  it('expires must carry its zone and lie ahead', () => {
    const at = (expires: string) => checkRequest('x', Buffer.from(JSON.stringify({ id: 'a', expires })), NOW, 1024);
    assert.equal(at('2025-01-31T10:00:01Z').ok, true);
    assert.equal(at('2025-01-31T13:00:01+03:00').ok, true);
    const local = at('2025-01-31T11:00:00');
    assert.equal(!local.ok && local.error.code, 'bad-expires');
    const past = at('2025-01-31T12:59:59+03:00');
    assert.equal(!past.ok && past.error.code, 'expired');
  });

  it('arguments are checked by the protocol schema, the field named', () => {
    const bad = (command: Parameters<typeof checkArgs>[0], args: Record<string, unknown>): string | undefined => {
      const r = checkArgs(command, args);
      return r.ok ? undefined : r.error.field;
    };
    assert.equal(bad('transaction', { type: 'purchase', amount: 100 }), undefined);
    assert.equal(bad('transaction', { type: 'purchase', amount: 100.5 }), 'args.amount');
    assert.equal(bad('transaction', { type: 'purchase', amount: -1 }), 'args.amount');
    assert.equal(bad('transaction', { type: 'purchase', amount: 1e13 }), 'args.amount');
    assert.equal(bad('transaction', { type: 'refund', amount: 1, rrn: 'short' }), 'args.rrn');
    assert.equal(bad('transaction', { type: 'void', number: 'first' }), 'args.number');
    assert.equal(bad('transaction', { type: 'purchase', amount: 1, password: '12345678' }), 'args.password');
    assert.equal(bad('report', { reportType: 'weekly' }), 'args.reportType');
    assert.equal(bad('report', {}), undefined);
    assert.equal(bad('settlement', { now: true }), 'args.now');
  });

  it('a response topic inside the prefix must be this terminal\'s res/', () => {
    const topics = gatewayTopics('jpay', 'T1');
    assert.equal(responseTopicProblem(topics, 'jpay/T1/res/abc'), undefined);
    assert.equal(responseTopicProblem(topics, 'jpay/T1/res/a/b'), undefined);
    assert.equal(responseTopicProblem(topics, 'office/replies/1'), undefined);
    for (const topic of ['jpay/T1/state', 'jpay/T2/res/x', 'jpay/T1/cmd/report', 'jpay/T1/res/', 'jpay', 'jpay/+/res/x', '$SYS/x', '', 'a\u0000b']) {
      assert.ok(responseTopicProblem(topics, topic), topic);
    }
  });
});
