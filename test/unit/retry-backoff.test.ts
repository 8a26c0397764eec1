import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RetryPolicy } from '../../src/protocol/overseer/retry-policy.js';
import { decodeMessage } from '../../src/server/overseer/decode.js';
import { encodeTasks } from '../../src/server/overseer/encode.js';
import { ExitWindow } from '../../src/supervisor/retry/exit-window.js';
import {
  classifyExit,
  decideAfterExit,
  planRestart,
  type RandomSource,
  restartDelay,
} from '../../src/supervisor/retry/retry-policy.js';
import type { TaskSnapshot } from '../../src/supervisor/supervisor.js';
import { nanosToMillis } from '../../src/util/go-duration.js';
import { FakeClock } from '../helpers/fake-clock.js';

const MS = 1_000_000n;
const SECOND = 1_000n * MS;
const MAX_INT64 = (1n << 63n) - 1n;
const policyOf = (extra: Partial<RetryPolicy> = {}): RetryPolicy => ({
  restartDelayNs: 20n * MS,
  errorWindowNs: 0n,
  errorThreshold: 0,
  ...extra,
});
/** A random source that must not be consulted. */
const noRandom: RandomSource = () => {
  throw new Error('random source used without jitter');
};
const fixed =
  (value: number): RandomSource =>
  () =>
    value;

describe('restartDelay', () => {
  it('is exactly restart_delay without extensions, whatever the streak', () => {
    const policy = policyOf({ restartDelayNs: 1_500_000_001n });
    for (const streak of [0, 1, 7, 1_000])
      expect(restartDelay(policy, streak, noRandom)).toBe(1_500_000_001n);
  });

  it('grows by the multiplier per consecutive restart and stops at the cap', () => {
    const policy = policyOf({ backoffMultiplier: 2, maxRestartDelayNs: 100n * MS });
    const delays = [0, 1, 2, 3, 4].map((streak) => restartDelay(policy, streak, noRandom));
    expect(delays).toEqual([20n * MS, 40n * MS, 80n * MS, 100n * MS, 100n * MS]);
  });

  it('grows by fractional multipliers to whole nanoseconds', () => {
    const policy = policyOf({ restartDelayNs: SECOND, backoffMultiplier: 1.5 });
    expect([1, 2, 3].map((streak) => restartDelay(policy, streak, noRandom))).toEqual([
      1_500_000_000n,
      2_250_000_000n,
      3_375_000_000n,
    ]);
  });

  it('caps even the first delay, so max_restart_delay is a hard bound', () => {
    expect(restartDelay(policyOf({ maxRestartDelayNs: 5n * MS }), 0, noRandom)).toBe(5n * MS);
  });

  it('saturates at the longest Go duration instead of overflowing', () => {
    const policy = policyOf({ restartDelayNs: SECOND, backoffMultiplier: 10 });
    expect(restartDelay(policy, 1_000, noRandom)).toBe(MAX_INT64);
  });

  it('leaves a zero or negative delay alone: it restarts at once', () => {
    const extensions = { backoffMultiplier: 3, jitter: 0.5, maxRestartDelayNs: SECOND };
    expect(restartDelay(policyOf({ restartDelayNs: 0n, ...extensions }), 4, noRandom)).toBe(0n);
    expect(restartDelay(policyOf({ restartDelayNs: -2n * SECOND, ...extensions }), 4, noRandom)).toBe(
      -2n * SECOND,
    );
  });

  it('spreads by ± jitter with the injected random source', () => {
    const policy = policyOf({ restartDelayNs: 100n * MS, jitter: 0.2 });
    expect(restartDelay(policy, 0, fixed(0))).toBe(80n * MS);
    expect(restartDelay(policy, 0, fixed(0.5))).toBe(100n * MS);
    expect(restartDelay(policy, 0, fixed(0.75))).toBe(110n * MS);
  });

  it('jitters the capped delay and caps again, so the cap still holds and the spread survives it', () => {
    const policy = policyOf({ backoffMultiplier: 10, maxRestartDelayNs: SECOND, jitter: 0.5 });
    expect(restartDelay(policy, 5, fixed(0))).toBe(500n * MS);
    expect(restartDelay(policy, 5, fixed(0.9))).toBe(SECOND);
  });

  it('stays within [capped·(1-j), min(cap, capped·(1+j))] for any input', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 3_600n * SECOND }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.integer({ min: 0, max: 60 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.option(fc.bigInt({ min: 1n, max: 3_600n * SECOND }), { nil: undefined }),
        (base, multiplier, streak, jitter, unit, cap) => {
          const policy = policyOf({
            restartDelayNs: base,
            backoffMultiplier: multiplier,
            jitter,
            maxRestartDelayNs: cap,
          });
          const delay = restartDelay(policy, streak, fixed(unit));
          const bound = Number(cap ?? MAX_INT64);
          const grown = Math.min(Number(base) * multiplier ** streak, bound);
          // One nanosecond of slack each way for rounding, relative slack for double arithmetic.
          const slack = 1 + grown * 1e-12;
          expect(Number(delay)).toBeGreaterThanOrEqual(grown * (1 - jitter) - slack);
          expect(Number(delay)).toBeLessThanOrEqual(grown * (1 + jitter) + slack);
          expect(delay <= (cap ?? MAX_INT64)).toBe(true);
          expect(delay >= 0n).toBe(true);
        },
      ),
    );
  });
});

describe('classifyExit', () => {
  const policy = policyOf({ noRestartExitCodes: [0, 64], alwaysRestartExitCodes: [75, -1] });

  it('sorts exits by code into finished, uncounted and counted', () => {
    expect([0, 64, 75, -1, 1, 3].map((code) => classifyExit(policy, code))).toEqual([
      'finished',
      'finished',
      'uncounted',
      'uncounted',
      'counted',
      'counted',
    ]);
  });

  it('counts every exit, 0 included, without the lists (the original rule)', () => {
    expect([0, 1, -1].map((code) => classifyExit(policyOf(), code))).toEqual([
      'counted',
      'counted',
      'counted',
    ]);
  });
});

/**
 * The supervisor's retry loop in miniature, on a fake clock: each run lasts `ranForMs`, exits with
 * `code`, and the decision (finish, error or restart after the planned delay) is applied as the
 * supervisor applies it. Returns what a client would see per exit.
 */
function simulate(
  policy: RetryPolicy,
  runs: readonly { ranForMs: number; code: number }[],
  random = noRandom,
) {
  const clock = new FakeClock();
  const window = new ExitWindow(nanosToMillis(policy.errorWindowNs), policy.errorThreshold > 0 ? 100 : 0);
  let consecutive = 0;
  const seen: string[] = [];
  for (const run of runs) {
    clock.advance(run.ranForMs);
    const exitClass = classifyExit(policy, run.code);
    if (exitClass === 'finished') {
      seen.push('finished');
      break;
    }
    if (exitClass === 'counted' && decideAfterExit(policy, window.record(clock.now())).action === 'give-up') {
      seen.push(`errored(${window.count})`);
      break;
    }
    const plan = planRestart(policy, consecutive, run.ranForMs, random);
    consecutive = plan.consecutiveRestarts;
    seen.push(`restarting ${nanosToMillis(plan.delayNs)}ms`);
    let restarted = false;
    clock.setTimeout(() => {
      restarted = true;
    }, nanosToMillis(plan.delayNs));
    clock.advance(nanosToMillis(plan.delayNs));
    expect(restarted).toBe(true);
  }
  return seen;
}

describe('the retry loop on a fake clock', () => {
  it('grows the delay over quick failures, caps it, and a stable run resets the growth', () => {
    const policy = policyOf({
      backoffMultiplier: 2,
      maxRestartDelayNs: 100n * MS,
      resetAfterNs: SECOND,
    });
    const quick = { ranForMs: 5, code: 1 };
    const stable = { ranForMs: 1_000, code: 1 };
    expect(simulate(policy, [quick, quick, quick, quick, quick, stable, quick, quick])).toEqual([
      'restarting 20ms',
      'restarting 40ms',
      'restarting 80ms',
      'restarting 100ms',
      'restarting 100ms',
      'restarting 20ms',
      'restarting 40ms',
      'restarting 80ms',
    ]);
  });

  it('does not reset on a run just shorter than reset_after', () => {
    const policy = policyOf({ backoffMultiplier: 2, resetAfterNs: SECOND });
    const runs = [
      { ranForMs: 999, code: 1 },
      { ranForMs: 999, code: 1 },
    ];
    expect(simulate(policy, runs)).toEqual(['restarting 20ms', 'restarting 40ms']);
  });

  it('never resets without reset_after, however long the run', () => {
    const policy = policyOf({ backoffMultiplier: 3 });
    const runs = [
      { ranForMs: 3_600_000, code: 1 },
      { ranForMs: 3_600_000, code: 1 },
    ];
    expect(simulate(policy, runs)).toEqual(['restarting 20ms', 'restarting 60ms']);
  });

  it('ends the series on a no-restart code without counting it', () => {
    const policy = policyOf({ errorThreshold: 2, noRestartExitCodes: [0] });
    expect(simulate(policy, [{ ranForMs: 5, code: 0 }])).toEqual(['finished']);
  });

  it('restarts on an always-restart code without counting it toward the threshold, backoff included', () => {
    const policy = policyOf({ errorThreshold: 2, backoffMultiplier: 2, alwaysRestartExitCodes: [75] });
    const retryable = { ranForMs: 5, code: 75 };
    const failure = { ranForMs: 5, code: 1 };
    expect(simulate(policy, [retryable, retryable, retryable, failure, retryable, failure])).toEqual([
      'restarting 20ms',
      'restarting 40ms',
      'restarting 80ms',
      'restarting 160ms',
      'restarting 320ms',
      'errored(2)',
    ]);
  });

  it('is deterministic with an injected random source', () => {
    const policy = policyOf({ restartDelayNs: 100n * MS, jitter: 0.5 });
    const values = [0, 0.25, 0.5, 0.75];
    let next = 0;
    const random: RandomSource = () => values[next++ % values.length] ?? 0;
    const run = { ranForMs: 5, code: 1 };
    expect(simulate(policy, [run, run, run, run], random)).toEqual([
      'restarting 50ms',
      'restarting 75ms',
      'restarting 100ms',
      'restarting 125ms',
    ]);
  });
});

describe('retry_policy extensions on the wire', () => {
  const decodePolicy = (policy: unknown) =>
    decodeMessage(JSON.stringify({ type: 'start', retry_policy: policy }));

  it('decodes every extension, dropping neutral values and duplicate codes', () => {
    expect(
      decodePolicy({
        restart_delay: '20ms',
        Backoff_Multiplier: 1.5,
        max_restart_delay: '1m',
        jitter: 0.1,
        reset_after: '30s',
        no_restart_exit_codes: [0, 64, 0],
        always_restart_exit_codes: [75, -1],
      }),
    ).toMatchObject({
      ok: true,
      message: {
        retryPolicy: {
          restartDelayNs: 20n * MS,
          backoffMultiplier: 1.5,
          maxRestartDelayNs: 60n * SECOND,
          jitter: 0.1,
          resetAfterNs: 30n * SECOND,
          noRestartExitCodes: [0, 64],
          alwaysRestartExitCodes: [75, -1],
        },
      },
    });
    const neutral = decodePolicy({
      backoff_multiplier: 1,
      max_restart_delay: '0s',
      jitter: 0,
      reset_after: '',
      no_restart_exit_codes: [],
      always_restart_exit_codes: null,
    });
    expect(neutral.ok && neutral.message.retryPolicy).toStrictEqual({
      restartDelayNs: 0n,
      errorWindowNs: 0n,
      errorThreshold: 0,
    });
  });

  it('rejects wrong types, out-of-range values and a code in both lists', () => {
    const bad = [
      { backoff_multiplier: 0.5 },
      { backoff_multiplier: '2' },
      { max_restart_delay: '-1s' },
      { max_restart_delay: 5 },
      { max_restart_delay: '5' },
      { jitter: -0.1 },
      { jitter: 1.01 },
      { reset_after: '-1ms' },
      { no_restart_exit_codes: 0 },
      { no_restart_exit_codes: [1.5] },
      { no_restart_exit_codes: [256] },
      { always_restart_exit_codes: [-2] },
      { always_restart_exit_codes: [null] },
      { always_restart_exit_codes: ['1'] },
      { no_restart_exit_codes: [1, 2], always_restart_exit_codes: [2] },
    ];
    for (const policy of bad)
      expect(decodePolicy(policy), JSON.stringify(policy)).toEqual({ ok: false, id: '' });
  });

  it('echoes the extensions after the original keys, and a plain policy as before', () => {
    const task = (retryPolicy: RetryPolicy): TaskSnapshot => ({
      taskId: 't',
      command: 'c',
      args: [],
      state: 'active',
      retryPolicy,
      currentPid: null,
      workerState: null,
      restartCount: 0,
      exitCount: 0,
      createdAt: Date.UTC(2026, 0, 1),
      lastStartedAt: null,
      lastExitedAt: null,
      lastExitCode: null,
      errorMessage: null,
    });
    expect(encodeTasks([task(policyOf())], '')).toContain('"retry_policy":{"restart_delay":"20ms"}');
    const extended = policyOf({
      errorThreshold: 3,
      backoffMultiplier: 2,
      maxRestartDelayNs: 90n * SECOND,
      jitter: 0.25,
      resetAfterNs: 1_500n * MS,
      noRestartExitCodes: [0],
      alwaysRestartExitCodes: [75, -1],
    });
    expect(encodeTasks([task(extended)], '')).toContain(
      '"retry_policy":{"restart_delay":"20ms","error_threshold":3,"backoff_multiplier":2,' +
        '"max_restart_delay":"1m30s","jitter":0.25,"reset_after":"1.5s",' +
        '"no_restart_exit_codes":[0],"always_restart_exit_codes":[75,-1]}',
    );
  });
});
