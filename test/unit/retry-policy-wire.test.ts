import { describe, expect, it } from 'vitest';
import {
  RETRY_POLICY_FIELDS,
  type RetryPolicy,
  retryPolicyFromStored,
  retryPolicyToWire,
} from '../../src/protocol/overseer/retry-policy.js';
import { acceptRetryPolicy } from '../../src/supervisor/retry/policy-validation.js';

const FULL: RetryPolicy = {
  restartDelayNs: 1_500_000_000n,
  errorWindowNs: 60_000_000_000n,
  errorThreshold: 3,
  backoffMultiplier: 2,
  maxRestartDelayNs: 30_000_000_000n,
  jitter: 0.25,
  resetAfterNs: 10_000_000_000n,
  noRestartExitCodes: [0, 3],
  alwaysRestartExitCodes: [75],
};

describe('the retry policy field map (protocol/overseer/retry-policy.ts)', () => {
  it('names every field once, in the order the wire writes them', () => {
    expect(RETRY_POLICY_FIELDS.map((spec) => spec.key)).toEqual([
      'restart_delay',
      'error_window',
      'error_threshold',
      'backoff_multiplier',
      'max_restart_delay',
      'jitter',
      'reset_after',
      'no_restart_exit_codes',
      'always_restart_exit_codes',
    ]);
    expect(new Set(RETRY_POLICY_FIELDS.map((spec) => spec.field)).size).toBe(RETRY_POLICY_FIELDS.length);
    expect(Object.keys(FULL).sort()).toEqual(RETRY_POLICY_FIELDS.map((spec) => spec.field).sort());
  });

  it('writes Go durations, keeps every field through the store and omits the zero originals on /ws', () => {
    expect(JSON.stringify(retryPolicyToWire(FULL, { omitEmpty: true }))).toBe(
      '{"restart_delay":"1.5s","error_window":"1m0s","error_threshold":3,"backoff_multiplier":2,' +
        '"max_restart_delay":"30s","jitter":0.25,"reset_after":"10s","no_restart_exit_codes":[0,3],' +
        '"always_restart_exit_codes":[75]}',
    );
    const stored = JSON.stringify(retryPolicyToWire(FULL, { omitEmpty: false }));
    expect(retryPolicyFromStored(JSON.parse(stored))).toEqual(FULL);
    const plain: RetryPolicy = { restartDelayNs: 0n, errorWindowNs: 0n, errorThreshold: 0 };
    expect(JSON.stringify(retryPolicyToWire(plain, { omitEmpty: true }))).toBe('{}');
    expect(JSON.stringify(retryPolicyToWire(plain, { omitEmpty: false }))).toBe(
      '{"restart_delay":"0s","error_window":"0s","error_threshold":0}',
    );
  });

  it('the engine drops neutral extensions and refuses out-of-range or contradictory ones', () => {
    const base = { restartDelayNs: 0n, errorWindowNs: 0n, errorThreshold: 0 };
    expect(acceptRetryPolicy(FULL)).toEqual(FULL);
    expect(
      acceptRetryPolicy({
        ...base,
        backoffMultiplier: 1,
        jitter: 0,
        resetAfterNs: 0n,
        noRestartExitCodes: [],
      }),
    ).toEqual(base);
    expect(acceptRetryPolicy({ ...base, noRestartExitCodes: [3, 3, 1] })).toEqual({
      ...base,
      noRestartExitCodes: [3, 1],
    });
    for (const refused of [
      { backoffMultiplier: 0.5 },
      { jitter: 1.5 },
      { maxRestartDelayNs: -1n },
      { noRestartExitCodes: [256] },
      { alwaysRestartExitCodes: [-2] },
      { noRestartExitCodes: [3], alwaysRestartExitCodes: [3] },
    ]) {
      expect(
        acceptRetryPolicy({ ...base, ...refused }),
        JSON.stringify(refused, (_k, v) => String(v)),
      ).toBe(null);
    }
  });
});
