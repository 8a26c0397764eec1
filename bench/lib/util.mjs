// Small shared helpers: sleeping, deadlines, percentiles, number formatting.

/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Wall-clock time in ms with sub-ms fraction, comparable across processes on this machine. */
export const wallMs = () => performance.timeOrigin + performance.now();

/**
 * Reject with `message` if `promise` has not settled within `ms`.
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 * @param {string} message
 * @returns {Promise<T>}
 */
export function within(promise, ms, message) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const cap = new Promise((_, rej) => {
    timer = setTimeout(() => rej(new Error(`${message} (no result within ${(ms / 1000).toFixed(1)} s)`)), ms);
  });
  return /** @type {Promise<T>} */ (Promise.race([promise, cap]).finally(() => clearTimeout(timer)));
}

/**
 * A promise with its resolve/reject exposed.
 * @template T
 * @returns {{promise: Promise<T>, resolve: (v: T) => void, reject: (e: Error) => void}}
 */
export function deferred() {
  /** @type {(v: T) => void} */
  let resolve = () => {};
  /** @type {(e: Error) => void} */
  let reject = () => {};
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A rejection nobody awaits yet (e.g. the connection dropped while the scenario waits for something
  // else) must not crash the runner as an unhandled rejection; awaiting code still sees it.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/**
 * Nearest-rank percentile of an ascending-sorted array.
 * @param {number[]} sorted
 * @param {number} p 0..100
 */
export function percentile(sorted, p) {
  if (!sorted.length) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return /** @type {number} */ (sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]);
}

/**
 * Human formatting: thousands separators for big numbers, 3 significant digits for small ones.
 * @param {number} v
 */
export function fmtNum(v) {
  if (typeof v !== 'number' || Number.isNaN(v)) return 'n/a';
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 10000) return String(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a === 0) return '0';
  return v.toPrecision(3);
}

/**
 * @typedef {object} Metric
 * @property {string} key stable machine name
 * @property {string} label
 * @property {number} value
 * @property {string} unit
 * @property {{op: '>=' | '<=', value: number} | null} target
 * @property {boolean | null} pass null for information-only figures
 * @property {string} [invalid] why the figure does not count (e.g. the run did not complete): a MISS
 */

/**
 * A measured figure, optionally with a target.
 * @param {string} key
 * @param {string} label
 * @param {number} value
 * @param {string} unit
 * @param {{op: '>=' | '<=', value: number}} [target]
 * @param {string} [invalid] set when the figure does not count (the workload did not complete): a MISS
 * @returns {Metric}
 */
export function metric(key, label, value, unit, target, invalid) {
  let pass = null;
  if (target) {
    pass = Number.isFinite(value) && (target.op === '>=' ? value >= target.value : value <= target.value);
  }
  if (invalid)
    return { key, label: `${label} [${invalid}]`, value, unit, target: target ?? null, pass: false, invalid };
  return { key, label, value, unit, target: target ?? null, pass };
}
