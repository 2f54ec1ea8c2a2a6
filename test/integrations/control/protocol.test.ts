/**
 * Control channel contract (src/main/integrations/control/protocol.ts) without sockets: request
 * validation, depth counting that strings cannot fool, and the client-side check of agent lines.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_JSON_DEPTH, MAX_LINE_BYTES, isAgentStatus, jsonDepth, parseRequestLine, parseServerLine } from '../../../src/main/integrations/control/index.js';

describe('control protocol: requests', () => {
  it('accepts the four methods, with and without params', () => {
    assert.deepEqual(parseRequestLine('{"id":1,"method":"status"}'), { ok: true, request: { id: 1, method: 'status', params: {} } });
    assert.deepEqual(parseRequestLine('{"id":"a","method":"lock","params":{}}'), { ok: true, request: { id: 'a', method: 'lock', params: {} } });
    assert.deepEqual(parseRequestLine('{"id":2,"method":"signOut"}'), { ok: true, request: { id: 2, method: 'signOut', params: {} } });
    assert.deepEqual(parseRequestLine('{"id":3,"method":"subscribe","params":{"events":["decision","decision","readers"]}}'), {
      ok: true,
      request: { id: 3, method: 'subscribe', params: { events: ['decision', 'readers'] } },
    });
  });

  it('refuses bad ids, methods, params with typed codes', () => {
    const code = (line: string): string | undefined => {
      const r = parseRequestLine(line);
      return r.ok ? undefined : r.code;
    };
    assert.equal(code('{"id":1.5,"method":"status"}'), 'bad_request');
    assert.equal(code('{"id":"","method":"status"}'), 'bad_request');
    assert.equal(code(`{"id":"${'x'.repeat(129)}","method":"status"}`), 'bad_request');
    assert.equal(code('{"id":true,"method":"status"}'), 'bad_request');
    assert.equal(code('{"id":1,"method":"toString"}'), 'unknown_method');
    assert.equal(code('{"id":1,"method":"subscribe","params":{"events":[]}}'), 'bad_params');
    assert.equal(code('{"id":1,"method":"subscribe","params":{"events":"decision"}}'), 'bad_params');
    assert.equal(code('{"id":1,"method":"subscribe","params":{"all":true}}'), 'bad_params');
    assert.equal(code('{"id":1,"method":"status","params":null}'), 'bad_params');
    assert.equal(code('x'.repeat(MAX_LINE_BYTES + 1)), 'line_too_long');
    assert.equal(code('é'.repeat(MAX_LINE_BYTES / 2 + 1)), 'line_too_long');
  });

  it('depth is counted before parsing, and brackets inside strings do not count', () => {
    assert.equal(jsonDepth('{"a":[1,{"b":2}]}'), 3);
    assert.equal(jsonDepth('{"a":"[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{"}'), 1);
    assert.equal(jsonDepth('{"a":"\\"[[[[[[[[[[[[[[[[[[["}'), 1);
    const deep = `${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`;
    const r = parseRequestLine(deep);
    assert.equal(r.ok ? 'ok' : r.code, 'too_deep');
    const huge = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    const h = parseRequestLine(huge);
    assert.equal(h.ok ? 'ok' : h.code, 'too_deep');
    const atLimit = `{"id":1,"method":"status","params":${'{"a":'.repeat(MAX_JSON_DEPTH - 2)}{}${'}'.repeat(MAX_JSON_DEPTH - 2)}}`;
    assert.equal(jsonDepth(atLimit), MAX_JSON_DEPTH);
    const a = parseRequestLine(atLimit);
    assert.equal(a.ok ? 'ok' : a.code, 'bad_params');
  });
});

describe('control protocol: lines from the agent (client side)', () => {
  it('responses and events are recognised; anything else is outside the protocol', () => {
    assert.deepEqual(parseServerLine('{"id":1,"ok":true,"result":{"x":1}}'), { kind: 'response', response: { id: 1, ok: true, result: { x: 1 } } });
    assert.deepEqual(parseServerLine('{"id":null,"ok":false,"error":{"code":"bad_json","message":"m"}}'), { kind: 'response', response: { id: null, ok: false, error: { code: 'bad_json', message: 'm' } } });
    assert.deepEqual(parseServerLine('{"event":"decision","data":null}'), { kind: 'event', event: { event: 'decision', data: null } });
    for (const bad of ['', 'null', '[]', '{"id":1}', '{"id":1,"ok":true}', '{"id":1,"ok":false,"error":"x"}', '{"id":{},"ok":true,"result":1}', '{"event":1,"data":2}', 'nope']) {
      assert.equal(parseServerLine(bad), undefined, bad);
    }
  });

  it('status answers are checked field by field', () => {
    assert.equal(isAgentStatus({ state: 'signed_out', degraded: false, readers: [] }), true);
    assert.equal(isAgentStatus({ state: 'active', degraded: false, readers: [], session: { person: 'p', means: 'cps', factors: ['possession'], windowLeftMs: 1, locked: false } }), true);
    assert.equal(isAgentStatus({ state: 'active', degraded: 'no', readers: [] }), false);
    assert.equal(isAgentStatus({ state: 'active', degraded: false, readers: [{ name: 'r' }] }), false);
    assert.equal(isAgentStatus({ state: 'active', degraded: false, readers: [], session: { person: 'p', means: 'cps', factors: [1], windowLeftMs: 1, locked: false } }), false);
    assert.equal(isAgentStatus(null), false);
  });
});

describe('control protocol: random lines', () => {
  it('parseRequestLine and parseServerLine never throw (fast-check)', () => {
    const line = fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 12 }), fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify({ id: 1, method: 'subscribe', params: v })));
    fc.assert(
      fc.property(line, (l) => {
        const r = parseRequestLine(l);
        assert.equal(typeof r.ok, 'boolean');
        if (!r.ok) assert.ok(r.message.length > 0);
        parseServerLine(l);
      }),
      { numRuns: 1000, seed: 11 },
    );
  });
});
