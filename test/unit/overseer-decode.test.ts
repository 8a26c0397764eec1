import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/server/overseer/decode.js';

describe('decodeMessage (Go encoding/json semantics)', () => {
  it('decodes every field and uses zero values for absent ones', () => {
    const result = decodeMessage(
      JSON.stringify({
        type: 'start',
        id: 'r1',
        task_id: 't',
        command: 'c',
        args: ['a'],
        retry_policy: { restart_delay: '5m', error_window: '1h', error_threshold: 3 },
        since: 's',
        extra: { ignored: true },
      }),
    );
    expect(result).toEqual({
      ok: true,
      message: {
        type: 'start',
        id: 'r1',
        taskId: 't',
        command: 'c',
        args: ['a'],
        retryPolicy: {
          restartDelayNs: 300_000_000_000n,
          errorWindowNs: 3_600_000_000_000n,
          errorThreshold: 3,
        },
        since: 's',
      },
    });
    expect(decodeMessage('{}')).toMatchObject({
      ok: true,
      message: { type: '', args: null, retryPolicy: null },
    });
  });

  it('treats null as absent and matches keys case-insensitively', () => {
    expect(decodeMessage('{"type":null,"args":null,"id":null}')).toMatchObject({
      ok: true,
      message: { type: '' },
    });
    expect(decodeMessage('{"Type":"list","ID":"x"}')).toMatchObject({
      ok: true,
      message: { type: 'list', id: 'x' },
    });
    expect(decodeMessage('null')).toMatchObject({ ok: true, message: { type: '' } });
    expect(decodeMessage('{"retry_policy":{"restart_delay":""}}')).toMatchObject({
      ok: true,
      message: { retryPolicy: { restartDelayNs: 0n, errorWindowNs: 0n, errorThreshold: 0 } },
    });
  });

  it('fails the frame on bad JSON, wrong types and bad durations, keeping a valid id', () => {
    for (const text of ['not json', '[]', '"start"', '5', '{"type":"start"']) {
      expect(decodeMessage(text)).toEqual({ ok: false, id: '' });
    }
    expect(decodeMessage('{"type":"start","id":"q","args":"x"}')).toEqual({ ok: false, id: 'q' });
    expect(decodeMessage('{"type":"start","task_id":5}')).toEqual({ ok: false, id: '' });
    expect(decodeMessage('{"type":"start","args":[1]}')).toMatchObject({ ok: false });
    expect(decodeMessage('{"type":"start","retry_policy":{"restart_delay":"5"}}')).toMatchObject({
      ok: false,
    });
    expect(decodeMessage('{"type":"start","retry_policy":{"restart_delay":5}}')).toMatchObject({ ok: false });
    expect(decodeMessage('{"type":"start","retry_policy":{"error_threshold":1.5}}')).toMatchObject({
      ok: false,
    });
    expect(decodeMessage('{"type":"start","retry_policy":[]}')).toMatchObject({ ok: false });
  });

  it('keeps a __proto__ key inert', () => {
    const result = decodeMessage('{"Type":"list","__proto__":{"polluted":1}}');
    expect(result).toMatchObject({ ok: true, message: { type: 'list' } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
