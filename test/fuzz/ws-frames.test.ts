// Property-based fuzzing of the overseer WebSocket (`/ws`, spec/overseer-protocol.md) against a real
// server in this process. 10,000 generated frames — random text and bytes, random JSON, and valid
// `start`/`list`/`stop`/`reset`/`replay` messages mutated in every way a client could get them wrong —
// go over four connections at once. Every reply must be a well-formed protocol message: for each frame
// exactly the direct reply the spec prescribes (one of the spec's exact error strings when it refuses),
// none for an accepted `stop`/`replay`; the connection stays open. Frames over the 1 MiB limit close
// with 1009. Afterwards a fresh client still gets its `list`, and the heap has not grown beyond a bound.
//
// Reproduce a failure with the seed it prints: FUZZ_SEED=<seed> npx vitest run test/fuzz/ws-frames.test.ts

import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCodes, Limits } from '../../src/server/limits.js';
import { parseGoDuration } from '../../src/util/go-duration.js';
import { parseRfc3339 } from '../../src/util/rfc3339.js';
import { type OverseerTestServer, startOverseer } from '../helpers/overseer-server.js';
import {
  ERRORED_KEYS,
  EXITED_KEYS,
  listTasks,
  type Message,
  OUTPUT_EXTENSIONS,
  OUTPUT_KEYS,
  RESTARTING_KEYS,
  type ReceivedFrame,
  STARTED_KEYS,
  TASK_INFO_KEYS,
  TS_RE,
  tasksOf,
  UUID_V4_RE,
  WsClient,
} from '../helpers/ws-client.js';
import {
  anyValue,
  Batch,
  collectGarbage,
  type Entry,
  encodeEntries,
  entry,
  hugeNumber,
  longString,
  SEED,
  SPECIAL_NAMES,
  weird,
  weirdShort,
} from './fuzz-support.js';

const TOTAL_FRAMES = 10_000;
/** Frames per property run; a run's frames are spread over the connections, sent one at a time each. */
const BATCH = 50;
const CONNECTIONS = 4;
/** The only command `start` may run: harmless, exits at once, and prints its (fuzzed) arguments. */
const PIN = '/bin/echo';
const LIMIT = Limits.maxFrameBytes;
const REPLY_TIMEOUT_MS = 15_000;
/**
 * Heap growth allowed after the run (after a full GC). What the server legitimately keeps: every task
 * created (a few hundred records of short strings, a few with ids or args of up to 64 KiB, one with
 * ~600 KB of args) and each task's last worker with its replay ring of 100 events (≤ 64 KiB each, and
 * only the few tasks given long arguments print long lines). Measured: 5-8 MiB. What must not stay:
 * the hundreds of MiB of frames, replies and broadcasts that went through (~120 near-limit frames
 * alone are 120 MiB, so keeping even one copy of them would be far above the bound).
 */
const HEAP_GROWTH_BOUND_BYTES = 64 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------------
// Frames

class Frame {
  constructor(
    readonly kind: string,
    readonly data: string | Buffer,
    readonly binary: boolean,
  ) {}

  private decoded: string | undefined;

  /** What the server decodes: text frames are UTF-8 on the wire (a lone surrogate becomes U+FFFD). */
  get text(): string {
    this.decoded ??=
      typeof this.data === 'string'
        ? Buffer.from(this.data, 'utf8').toString('utf8')
        : this.data.toString('utf8');
    return this.decoded;
  }

  get bytes(): number {
    return typeof this.data === 'string' ? Buffer.byteLength(this.data, 'utf8') : this.data.length;
  }

  describe(): string {
    const t = this.text;
    const shown = t.length > 300 ? `${t.slice(0, 300)}… (${this.bytes} bytes)` : t;
    return `[${this.kind}${this.binary ? ', binary' : ''}] ${JSON.stringify(shown)}`;
  }

  [fc.toStringMethod](): string {
    return this.describe();
  }
}

const TYPES = ['start', 'list', 'stop', 'reset', 'replay'] as const;
type MessageType = (typeof TYPES)[number];
/** Task ids shared by all generated messages, so that stop/reset/replay meet tasks that exist. */
const POOL = ['fz-0', 'fz-1', 'fz-2', 'fz-3', 'fz-4', 'fz-5', 'fz-6', 'fz-7', 'é-ü-🚀', '__proto__', ' '];

const duration = fc.oneof(
  fc.constantFrom(
    '0',
    '0s',
    '1ms',
    '300ms',
    '1.5s',
    '1m30s',
    '5m',
    '1h',
    '-2s',
    '.5s',
    '1.s',
    '2562047h47m16.854775807s',
    '2562047h47m16.854775808s',
    '-2562047h47m16.854775808s',
    '9223372036854775807ns',
    '9223372036854775808ns',
    '99999999999999999999h',
    '1.0000000000000000000000001s',
    '1e3s',
    '1d',
    '',
    ' 1s',
    '1µs',
    '1μs',
    '+1s',
    '1',
  ),
  fc
    .tuple(fc.nat({ max: 100_000 }), fc.constantFrom('ns', 'us', 'µs', 'ms', 's', 'm', 'h', 'x', ''))
    .map(([n, unit]) => `${n}${unit}`),
  weirdShort,
);
const threshold = fc.oneof(
  fc.integer({ min: -3, max: 5 }),
  fc.constantFrom(2 ** 53 - 1, 2 ** 53, -(2 ** 53), 1.5, '3', 1e308, null),
  hugeNumber,
);
const since = fc.oneof(
  fc
    .date({
      min: new Date('0000-01-01T00:00:00Z'),
      max: new Date('9999-12-31T23:59:59.999Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString()),
  fc.integer({ min: 0, max: 120_000 }).map((ago) => new Date(Date.now() - ago).toISOString()),
  fc
    .tuple(fc.integer({ min: 0, max: 120_000 }), fc.constantFrom('+05:30', '-24:00', '+25:00', '+00:60', ','))
    .map(([ago, zone]) => {
      const iso = new Date(Date.now() - ago).toISOString();
      return zone === ',' ? iso.replace('.', ',') : `${iso.slice(0, 19)}${zone}`;
    }),
  fc.constantFrom(
    '2026-02-19T12:00:00.123456789Z',
    '2026-02-19T12:00:00.1234567891234Z',
    '2026-02-30T00:00:00Z',
    '2026-02-19T24:00:00Z',
    '2026-02-19T1:00:00Z',
    '2026-02-19 12:00:00Z',
    '2026-02-19T12:00:00',
    '-0001-01-01T00:00:00Z',
    '+10000-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999999999Z',
  ),
  weirdShort,
);

const taskId = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...POOL) },
  { weight: 3, arbitrary: weird },
  { weight: 1, arbitrary: fc.uuid() },
);
const id = fc.oneof(weirdShort, fc.uuid(), fc.constantFrom('req-1', ''));
const args = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.array(
      fc.oneof(weirdShort, fc.constantFrom('a\u0000b', '\u0000', '-e', '-n', '--help', '\\c', '-E')),
      { maxLength: 6 },
    ),
  },
  // Long argument lists (E2BIG past 128 KiB per argument); their tasks come from the pool.
  {
    weight: 1,
    arbitrary: fc.array(longString(200 * 1024), { minLength: 1, maxLength: 3 }),
  },
);
const retryPolicy = fc.record(
  { restart_delay: duration, error_window: duration, error_threshold: threshold },
  { requiredKeys: [] },
);

/** A valid message of each type (every optional field sometimes there), as entries. */
const validMessage: Record<MessageType, fc.Arbitrary<Entry[]>> = {
  start: fc
    .record(
      {
        id,
        task_id: taskId,
        command: fc.constantFrom(PIN, ''),
        args,
        retry_policy: fc.option(retryPolicy, { nil: null }),
      },
      { requiredKeys: [] },
    )
    .map((r) => {
      const entries: Entry[] = [['type', 'start'], ...Object.entries(r)];
      // Long argument lists stay on pool tasks, so that at most a few records keep them.
      const long = Array.isArray(r.args) && r.args.some((a) => typeof a === 'string' && a.length >= 1_000);
      return long ? [...entries.filter(([k]) => k !== 'task_id'), ['task_id', 'fz-long']] : entries;
    }),
  list: fc
    .record({ id, since }, { requiredKeys: [] })
    .map((r): Entry[] => [['type', 'list'], ...Object.entries(r)]),
  stop: fc
    .record({ id, task_id: taskId }, { requiredKeys: ['task_id'] })
    .map((r): Entry[] => [['type', 'stop'], ...Object.entries(r)]),
  reset: fc
    .record({ id, task_id: taskId }, { requiredKeys: ['task_id'] })
    .map((r): Entry[] => [['type', 'reset'], ...Object.entries(r)]),
  replay: fc
    .record({ id, task_id: taskId, since }, { requiredKeys: ['task_id'] })
    .map((r): Entry[] => [['type', 'replay'], ...Object.entries(r)]),
};

const FIELD_NAMES = ['type', 'id', 'task_id', 'command', 'args', 'retry_policy', 'since'];
const CASE_VARIANTS = [
  'Type',
  'TYPE',
  'tYpE',
  'ID',
  'Task_Id',
  'TASK_ID',
  'Command',
  'ARGS',
  'Retry_Policy',
  'Since',
];
const key = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...FIELD_NAMES) },
  { weight: 2, arbitrary: fc.constantFrom(...CASE_VARIANTS) },
  { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_NAMES) },
  { weight: 1, arbitrary: weirdShort },
);

type Mutation = (entries: Entry[]) => Entry[];
const isStart = (entries: readonly Entry[]): boolean =>
  entries.some(([k, v]) => k.toLowerCase() === 'type' && v === 'start');
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // A field (known, case-variant, special or random name) set to a value of any type.
  fc.tuple(key, anyValue).map(
    ([k, v]) =>
      (e: Entry[]) =>
        e.some(([x]) => x === k) ? e.map(([x, y]) => entry(x, x === k ? v : y)) : [...e, entry(k, v)],
  ),
  // Missing field.
  fc.nat().map((i) => (e: Entry[]) => e.filter((_, j) => j !== i % Math.max(e.length, 1))),
  // null.
  fc
    .nat()
    .map((i) => (e: Entry[]) => e.map(([k, v], j) => entry(k, j === i % Math.max(e.length, 1) ? null : v))),
  // Duplicate key (same name or another case), before or after the original.
  fc.tuple(fc.nat(), anyValue, fc.boolean(), fc.boolean()).map(([i, v, upper, first]) => (e: Entry[]) => {
    const original = e[i % Math.max(e.length, 1)];
    if (original === undefined) return e;
    const dup: Entry = [upper ? original[0].toUpperCase() : original[0], v];
    return first ? [dup, ...e] : [...e, dup];
  }),
  // Renamed key.
  fc.tuple(fc.nat(), key).map(
    ([i, k]) =>
      (e: Entry[]) =>
        e.map(([x, v], j) => entry(j === i % Math.max(e.length, 1) ? k : x, v)),
  ),
  // Another type: known, unknown, special (`constructor`, `__proto__`…), wrong case.
  fc
    .oneof(
      fc.constantFrom(...TYPES, ...SPECIAL_NAMES, 'START', 'List', 'subscribe', 'started', 'tasks', 'error'),
      weirdShort,
    )
    .map((t) => (e: Entry[]) => [...e.filter(([k]) => k !== 'type'), entry('type', t)]),
  // A retry policy with garbage inside.
  fc
    .tuple(
      fc.constantFrom('restart_delay', 'error_window', 'error_threshold', 'RESTART_DELAY', 'x'),
      anyValue,
    )
    .map(([k, v]) => (e: Entry[]) => [
      ...e.filter(([x]) => x !== 'retry_policy'),
      entry('retry_policy', { [k]: v }),
    ]),
  // A long string (up to 256 Ki characters); a long task_id only where it does not create a task.
  fc
    .tuple(fc.constantFrom('id', 'task_id', 'command', 'since', 'junk'), longString(256 * 1024))
    .map(([k, v]) => (e: Entry[]) => {
      const field = k === 'task_id' && isStart(e) ? 'id' : k;
      return [...e.filter(([x]) => x !== field), entry(field, v)];
    }),
);

const mutatedMessage = fc
  .tuple(
    fc.constantFrom(...TYPES).chain((t) => validMessage[t]),
    // A third of the messages stay valid, the rest get one to three mutations.
    fc.oneof(
      fc.constant([]),
      fc.array(mutation, { minLength: 1, maxLength: 3 }),
      fc.array(mutation, { minLength: 1, maxLength: 3 }),
    ),
    fc.nat(9),
  )
  .map(([entries, mutations, form]) => {
    // A mutation that would take the frame over the limit is skipped: those frames are tested apart.
    let current = entries;
    let text = encodeEntries(current);
    for (const m of mutations) {
      const next = m(current);
      const nextText = encodeEntries(next);
      if (Buffer.byteLength(nextText) > LIMIT - 64) continue;
      current = next;
      text = nextText;
    }
    // One in ten goes as a binary frame (the original accepted JSON in binary frames too).
    return form === 0
      ? new Frame('message', Buffer.from(text, 'utf8'), true)
      : new Frame('message', text, false);
  });

const randomText = fc
  .oneof(
    weirdShort,
    fc.string({ unit: 'binary', maxLength: 200 }),
    // Valid messages cut short, or with trailing garbage.
    fc
      .tuple(
        fc.constantFrom(...TYPES).chain((t) => validMessage[t]),
        fc.nat(),
        fc.constantFrom('', 'x', '}', ',', '\u0000', ' {}'),
      )
      .map(([e, cut, tail]) => {
        const text = encodeEntries(e);
        return `${text.slice(0, cut % (text.length + 1))}${tail}`;
      }),
    fc.constantFrom(
      '',
      ' ',
      '{',
      '}',
      '{}',
      '[]',
      'null',
      'NaN',
      '{type:"list"}',
      "{'type':'list'}",
      '\ufeff{}',
    ),
  )
  .map((t) => new Frame('text', t, false));

const randomJson = fc
  .oneof(fc.jsonValue(), fc.object(), fc.array(fc.jsonValue({ maxDepth: 1 })))
  .map((v) => new Frame('json', JSON.stringify(v) ?? 'null', false));

const randomBytes = fc
  .oneof(
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    // Valid messages in UTF-16, or with invalid UTF-8 inside a string.
    fc
      .constantFrom(...TYPES)
      .chain((t) => validMessage[t].map((e) => Buffer.from(encodeEntries(e), 'utf16le'))),
    fc.constantFrom(
      Buffer.from([0x7b, 0x22, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      Buffer.from('{"type":"list","id":"\xc3\x28"}', 'latin1'),
      Buffer.alloc(0),
    ),
  )
  .map((b) => new Frame('bytes', b, true));

/** A frame a bit under the 1 MiB limit: one long field (or raw text/bytes) filled to `target` bytes. */
const nearLimit = fc
  .tuple(
    fc.integer({ min: LIMIT - 64 * 1024, max: LIMIT - 16 }),
    fc.constantFrom(...TYPES),
    fc.constantFrom('id', 'task_id', 'command', 'since', 'junk', 'raw', 'bytes'),
    fc.constantFrom('x', 'é', '🚀', '\\u0000', '\\"'),
  )
  .map(([target, type, field, unit]) => {
    if (field === 'bytes') return new Frame('near-limit', Buffer.alloc(target, 0xc3), true);
    const safeField = field === 'task_id' && type === 'start' ? 'id' : field;
    const prefix = field === 'raw' ? '' : `{"type":"${type}","${safeField}":"`;
    const suffix = field === 'raw' ? '' : '"}';
    const room = target - Buffer.byteLength(prefix) - Buffer.byteLength(suffix);
    const fill = unit.repeat(Math.floor(room / Buffer.byteLength(unit)));
    return new Frame('near-limit', `${prefix}${fill}${suffix}`, false);
  });

const frame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 12, arbitrary: randomText },
  { weight: 10, arbitrary: randomJson },
  { weight: 60, arbitrary: mutatedMessage },
  { weight: 6, arbitrary: randomBytes },
  { weight: 1, arbitrary: nearLimit },
);

// ---------------------------------------------------------------------------------------------------
// The oracle: what the spec says the server must answer to a frame

const ERRORS = {
  invalidJson: 'invalid JSON',
  unknownType: 'unknown message type',
  pinned: `command must be ${JSON.stringify(PIN)} (pinned)`,
  commandRequired: 'command is required',
  alreadyRunning: 'task already has a running worker',
  taskIdRequired: 'task_id is required',
  taskNotFound: 'task not found',
  notErrored: 'task is not in errored state',
  noWorker: 'no worker for task',
  invalidSince: 'invalid since timestamp',
} as const;
/** `start`/`reset` whose spawn failed: the spawn error's text, Go style (`fork/exec …`, `exec: …`). */
const SPAWN_ERROR_RE = /^(fork\/exec \S.*|exec: .+)$/s;
const DB_ERROR_RE = /^db error: /;

/**
 * `alsoAllowed`: set when the frame's `retry_policy` has keys besides the spec's three. Unknown keys are
 * ignored by the spec, but the server's opt-in policy extensions (spec: "Added fields are allowed")
 * validate their own keys and may refuse a bad value with `invalid JSON`.
 */
type Expectation =
  | { readonly kind: 'error'; readonly message: string; readonly id: string }
  | {
      readonly kind: 'ok';
      readonly type: MessageType;
      readonly id: string;
      readonly taskId: string;
      /** Errors acceptable besides the type's own outcomes (see above). */
      readonly alsoAllowed: readonly string[];
    };

const POLICY_KEYS = ['restart_delay', 'error_window', 'error_threshold'];

class WrongType extends Error {}

function folded(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const k of Object.keys(value)) out[k.toLowerCase()] = value[k];
  return out;
}

function stringOf(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'string') throw new WrongType();
  return v;
}

function checkDuration(v: unknown): void {
  const text = stringOf(v);
  if (text === '') return;
  try {
    parseGoDuration(text);
  } catch {
    throw new WrongType();
  }
}

/**
 * The server's decoding, re-stated from the spec: invalid JSON / wrong field types / bad durations are
 * `invalid JSON` (keeping a string `id`); keys match case-insensitively, the last duplicate wins.
 */
function oracle(text: string): Expectation {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: 'error', message: ERRORS.invalidJson, id: '' };
  }
  if (parsed === null) return { kind: 'error', message: ERRORS.unknownType, id: '' };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { kind: 'error', message: ERRORS.invalidJson, id: '' };
  }
  const f = folded(parsed as Record<string, unknown>);
  let type: string;
  let id: string;
  let taskId: string;
  let command: string;
  let sinceText: string;
  let invalidJsonAllowed = false;
  try {
    type = stringOf(f.type);
    id = stringOf(f.id);
    taskId = stringOf(f.task_id);
    command = stringOf(f.command);
    sinceText = stringOf(f.since);
    if (f.args !== null && f.args !== undefined) {
      if (!Array.isArray(f.args)) throw new WrongType();
      for (const a of f.args) stringOf(a);
    }
    const rp = f.retry_policy;
    if (rp !== null && rp !== undefined) {
      if (typeof rp !== 'object' || Array.isArray(rp)) throw new WrongType();
      const p = folded(rp as Record<string, unknown>);
      invalidJsonAllowed = Object.keys(p).some((k) => !POLICY_KEYS.includes(k));
      checkDuration(p.restart_delay);
      checkDuration(p.error_window);
      const t = p.error_threshold;
      if (t !== null && t !== undefined && (typeof t !== 'number' || !Number.isSafeInteger(t))) {
        throw new WrongType();
      }
    }
  } catch (error) {
    if (!(error instanceof WrongType)) throw error;
    return { kind: 'error', message: ERRORS.invalidJson, id: typeof f.id === 'string' ? f.id : '' };
  }
  if (!(TYPES as readonly string[]).includes(type)) return { kind: 'error', message: ERRORS.unknownType, id };
  const t = type as MessageType;
  const refused = (message: string): Expectation =>
    invalidJsonAllowed
      ? { kind: 'ok', type: t, id, taskId, alsoAllowed: [message, ERRORS.invalidJson] }
      : { kind: 'error', message, id };
  const badSince = sinceText !== '' && parseRfc3339(sinceText) === null;
  if (t === 'list' && badSince) return { kind: 'error', message: ERRORS.invalidSince, id };
  if (t === 'start' && command !== '' && command !== PIN) return refused(ERRORS.pinned);
  if ((t === 'stop' || t === 'reset' || t === 'replay') && taskId === '')
    return refused(ERRORS.taskIdRequired);
  return { kind: 'ok', type: t, id, taskId, alsoAllowed: invalidJsonAllowed ? [ERRORS.invalidJson] : [] };
}

// ---------------------------------------------------------------------------------------------------
// Well-formedness of every server message

const GO_DURATION_RE = /^-?(?:(?:\d+h)?(?:\d+m)?\d+(?:\.\d*[1-9])?s|\d+(?:\.\d*[1-9])?(?:ms|µs)|\d+ns)$/;
const isInt = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v);
const isPid = (v: unknown): boolean => isInt(v) && (v as number) > 0;
const isTs = (v: unknown): boolean => typeof v === 'string' && TS_RE.test(v);

/**
 * The keys of `m` against `pattern` (in order; `?` marks an optional key), like ws-client's expectKeys
 * but returning the problem instead of failing (it runs on every message, so it must be cheap).
 */
function keysProblem(
  m: Message,
  pattern: readonly string[],
  extensions: readonly string[] = [],
): string | null {
  const actual = Object.keys(m).filter((k) => !extensions.includes(k));
  const all = pattern.map((p) => (p.endsWith('?') ? p.slice(0, -1) : p));
  const missing = pattern.filter((p) => !p.endsWith('?') && !actual.includes(p));
  const unknown = actual.filter((k) => !all.includes(k));
  const positions = actual.map((k) => all.indexOf(k));
  const ordered = positions.every((at, i) => i === 0 || (positions[i - 1] ?? -1) < at);
  if (missing.length === 0 && unknown.length === 0 && ordered) return null;
  return `keys [${actual.join(', ')}] do not match [${pattern.join(', ')}]`;
}

function taskInfoProblems(t: Message): string[] {
  const p: string[] = [];
  const k = keysProblem(t, TASK_INFO_KEYS);
  if (k) p.push(k);
  if (typeof t.task_id !== 'string' || t.task_id === '') p.push('task_id');
  if (t.command !== PIN) p.push(`command ${JSON.stringify(t.command)} is not the pin`);
  if (!Array.isArray(t.args) || !t.args.every((a) => typeof a === 'string')) p.push('args');
  if (!['active', 'stopped', 'errored'].includes(t.state as string)) p.push('state');
  if ('retry_policy' in t) {
    const rp = t.retry_policy as Message;
    if (typeof rp !== 'object' || rp === null || Array.isArray(rp)) p.push('retry_policy');
    else {
      // The spec's three keys; others are the server's opt-in extensions (added fields are allowed).
      for (const [rk, rv] of Object.entries(rp).filter(([k]) => POLICY_KEYS.includes(k))) {
        if (rk === 'error_threshold' ? !isInt(rv) : !(typeof rv === 'string' && GO_DURATION_RE.test(rv))) {
          p.push(`retry_policy.${rk} = ${JSON.stringify(rv)}`);
        }
      }
    }
  }
  if ('current_pid' in t && !isPid(t.current_pid)) p.push('current_pid');
  if ('worker_state' in t && !['running', 'exited'].includes(t.worker_state as string))
    p.push('worker_state');
  if (!isInt(t.restart_count) || (t.restart_count as number) < 0) p.push('restart_count');
  for (const ts of ['created_at', 'last_started_at', 'last_exited_at']) {
    if ((ts === 'created_at' || ts in t) && !isTs(t[ts])) p.push(ts);
  }
  if ('last_exit_code' in t && !isInt(t.last_exit_code)) p.push('last_exit_code');
  if ('error_message' in t && (typeof t.error_message !== 'string' || t.error_message === '')) {
    p.push('error_message');
  }
  return p;
}

/** What is wrong with one server frame (empty when it is a well-formed protocol message). */
function messageProblems(f: ReceivedFrame): string[] {
  if (f.binary) return ['binary frame from the server'];
  const m = f.msg;
  if ('__unparsable' in m) return ['not a JSON object'];
  const p: string[] = [];
  const need = (ok: boolean, what: string) => {
    if (!ok) p.push(what);
  };
  const id = () => need(!('id' in m) || (typeof m.id === 'string' && m.id !== ''), 'id');
  switch (m.type) {
    case 'started': {
      const k = keysProblem(m, STARTED_KEYS);
      if (k) p.push(k);
      id();
      need(typeof m.task_id === 'string' && m.task_id !== '', 'task_id');
      need(isPid(m.pid), 'pid');
      need(!('restart_of' in m) || isPid(m.restart_of), 'restart_of');
      need(isTs(m.ts), 'ts');
      break;
    }
    case 'tasks': {
      const k = keysProblem(m, ['type', 'id?', 'tasks']);
      if (k) p.push(k);
      id();
      try {
        for (const t of tasksOf(m))
          p.push(...taskInfoProblems(t).map((x) => `task ${String(t.task_id)}: ${x}`));
      } catch (error) {
        p.push((error as Error).message);
      }
      break;
    }
    case 'output': {
      const k = keysProblem(m, OUTPUT_KEYS, OUTPUT_EXTENSIONS);
      if (k) p.push(k);
      need(typeof m.task_id === 'string', 'task_id');
      need(isPid(m.pid), 'pid');
      need(m.stream === 'stdout' || m.stream === 'stderr', 'stream');
      need(typeof m.data === 'string' && Buffer.byteLength(m.data as string) <= 64 * 1024, 'data');
      need(isTs(m.ts), 'ts');
      break;
    }
    case 'exited': {
      const k = keysProblem(m, EXITED_KEYS);
      if (k) p.push(k);
      need(typeof m.task_id === 'string', 'task_id');
      need(isPid(m.pid), 'pid');
      need(isInt(m.exit_code) && (m.exit_code as number) >= -1, 'exit_code');
      need(typeof m.intentional === 'boolean', 'intentional');
      need(isTs(m.ts), 'ts');
      break;
    }
    case 'restarting': {
      const k = keysProblem(m, RESTARTING_KEYS);
      if (k) p.push(k);
      need(typeof m.task_id === 'string', 'task_id');
      need(isPid(m.pid), 'pid');
      need(typeof m.restart_delay === 'string' && GO_DURATION_RE.test(m.restart_delay), 'restart_delay');
      need(isInt(m.attempt) && (m.attempt as number) > 0, 'attempt');
      need(isTs(m.ts), 'ts');
      break;
    }
    case 'errored': {
      const k = keysProblem(m, ERRORED_KEYS);
      if (k) p.push(k);
      need(typeof m.task_id === 'string', 'task_id');
      need(isPid(m.pid), 'pid');
      need(isInt(m.exit_count), 'exit_count');
      need(isTs(m.ts), 'ts');
      break;
    }
    case 'error': {
      const k = keysProblem(m, ['type', 'id?', 'message']);
      if (k) p.push(k);
      id();
      need(typeof m.message === 'string' && m.message !== '', 'message');
      break;
    }
    default:
      p.push(`unknown type ${JSON.stringify(m.type)}`);
  }
  return p;
}

/** Direct replies to the requester; the rest (and replayed events) look like broadcasts. */
function isDirect(m: Message): boolean {
  return m.type === 'error' || m.type === 'tasks' || (m.type === 'started' && !('restart_of' in m));
}

function show(m: Message): string {
  const s = JSON.stringify(m);
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

/** What is wrong with the replies (`window`) that a frame got. */
function replyProblems(frame: Frame, window: readonly ReceivedFrame[]): string[] {
  const problems: string[] = [];
  for (const f of window) {
    const p = messageProblems(f);
    if (p.length > 0) problems.push(`malformed ${show(f.msg)}: ${p.join('; ')}`);
  }
  const direct = window.map((f) => f.msg).filter(isDirect);
  const want = oracle(frame.text);
  const idOk = (m: Message, wantId: string) => (wantId === '' ? !('id' in m) : m.id === wantId);
  const describeDirect = () => `direct replies: [${direct.map(show).join(', ')}]`;
  if (want.kind === 'error') {
    const [only] = direct;
    if (
      direct.length !== 1 ||
      only?.type !== 'error' ||
      only.message !== want.message ||
      !idOk(only, want.id)
    ) {
      problems.push(
        `expected error ${JSON.stringify(want.message)} (id ${JSON.stringify(want.id)}); ${describeDirect()}`,
      );
    }
    return problems;
  }
  const [reply] = direct;
  const errorIn = (allowed: readonly string[], re?: RegExp) =>
    reply?.type === 'error' &&
    typeof reply.message === 'string' &&
    (allowed.includes(reply.message) || (re?.test(reply.message) ?? false));
  let ok: boolean;
  switch (want.type) {
    case 'list':
      ok = direct.length === 1 && reply?.type === 'tasks';
      break;
    case 'start':
      ok =
        direct.length === 1 &&
        ((reply?.type === 'started' &&
          (want.taskId === '' ? UUID_V4_RE.test(String(reply.task_id)) : reply.task_id === want.taskId)) ||
          errorIn([ERRORS.alreadyRunning], SPAWN_ERROR_RE) ||
          errorIn([], DB_ERROR_RE));
      break;
    case 'reset':
      ok =
        direct.length === 1 &&
        ((reply?.type === 'started' && reply.task_id === want.taskId) ||
          errorIn([ERRORS.taskNotFound, ERRORS.notErrored], SPAWN_ERROR_RE));
      break;
    case 'stop':
      // No reply on success: the broadcast `exited` is the acknowledgement.
      ok = direct.length === 0 || (direct.length === 1 && errorIn([ERRORS.taskNotFound]));
      break;
    case 'replay':
      // Replayed output/exited events (not told apart from broadcasts here), no terminator.
      ok =
        direct.length === 0 ||
        (direct.length === 1 && errorIn([ERRORS.taskNotFound, ERRORS.noWorker, ERRORS.invalidSince]));
      break;
  }
  if (!ok && want.alsoAllowed.length > 0) ok = direct.length === 1 && errorIn(want.alsoAllowed);
  if (!ok) problems.push(`unexpected reply to ${want.type}; ${describeDirect()}`);
  if (reply !== undefined && !idOk(reply, want.id))
    problems.push(`id not echoed as ${JSON.stringify(want.id)}`);
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Running frames against the server

/** A fuzzing connection: sends a frame, then a `list` sentinel; the replies in between are the frame's. */
class FuzzConnection {
  private carry: ReceivedFrame[] = [];
  private seq = 0;

  constructor(
    readonly client: WsClient,
    readonly name: string,
  ) {}

  async exchange(frame: Frame): Promise<ReceivedFrame[]> {
    const sentinel = `sentinel-${this.name}-${++this.seq}`;
    this.client.sendRaw(frame.data, { binary: frame.binary });
    // No task is active after year 9999: the sentinel's reply is small and always `tasks: []`.
    this.client.send({ type: 'list', id: sentinel, since: '9999-12-31T23:59:59Z' });
    const reply = await this.client.next((m) => m.type === 'tasks' && m.id === sentinel, REPLY_TIMEOUT_MS);
    if (JSON.stringify(reply) !== JSON.stringify({ type: 'tasks', id: sentinel, tasks: [] })) {
      throw new Error(`sentinel reply ${show(reply)}`);
    }
    // The received frames are dropped as they are judged, so the client holds no history.
    const frames = this.client.frames.splice(0);
    const at = frames.findIndex((f) => f.msg.type === 'tasks' && f.msg.id === sentinel);
    const window = [...this.carry, ...frames.slice(0, at)];
    this.carry = frames.slice(at + 1);
    return window;
  }
}

/** Stops every active task (a fuzzed retry policy with no delay restarts /bin/echo without end). */
async function stopAllTasks(control: WsClient): Promise<Message[]> {
  const tasks = tasksOf(await listTasks(control));
  for (const t of tasks) {
    if (t.state === 'active') control.send({ type: 'stop', task_id: t.task_id });
  }
  control.frames.splice(0);
  return tasks;
}

describe('fuzzing /ws with 10,000 frames', () => {
  let server: OverseerTestServer;
  let control: WsClient;
  const fuzzers: FuzzConnection[] = [];
  const counts = new Map<string, number>();
  const replyKinds = new Map<string, number>();
  const elapsed = new Map<string, number>();
  /** Broadcast and replayed events seen by the fuzzing connections. */
  const others = new Map<string, number>();
  let heapBefore = 0;

  beforeAll(async () => {
    server = await startOverseer({ pinnedCommand: PIN });
    control = await WsClient.connect(server.url);
    for (let i = 0; i < CONNECTIONS; i++) {
      fuzzers.push(new FuzzConnection(await WsClient.connect(server.url), `c${i}`));
    }
    await collectGarbage();
    heapBefore = process.memoryUsage().heapUsed;
  });

  afterAll(async () => {
    for (const f of fuzzers) await f.client.close();
    await control?.close();
    await server?.close();
  }, 60_000);

  it('answers every frame as the spec says and keeps the connection open', async () => {
    let runs = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(frame, { minLength: BATCH, maxLength: BATCH }).map((f) => new Batch(f)),
          async ({ items: frames }) => {
            runs++;
            const failures: string[] = [];
            await Promise.all(
              fuzzers.map(async (fuzzer, lane) => {
                for (let i = lane; i < frames.length; i += CONNECTIONS) {
                  const f = frames[i] as Frame;
                  counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
                  const began = performance.now();
                  const window = await fuzzer.exchange(f).catch((error: Error) => {
                    failures.push(`${f.describe()}\n  → no reply: ${error.message}`);
                    return null;
                  });
                  if (window === null) return;
                  elapsed.set(f.kind, (elapsed.get(f.kind) ?? 0) + performance.now() - began);
                  for (const m of window.map((w) => w.msg).filter((m) => !isDirect(m))) {
                    const k = m.type === 'started' ? 'started (restart)' : String(m.type);
                    others.set(k, (others.get(k) ?? 0) + 1);
                  }
                  for (const m of window.map((w) => w.msg).filter(isDirect)) {
                    const k =
                      m.type === 'error' ? `error: ${String(m.message).slice(0, 40)}` : String(m.type);
                    replyKinds.set(k, (replyKinds.get(k) ?? 0) + 1);
                  }
                  const problems = replyProblems(f, window);
                  if (problems.length > 0) failures.push(`${f.describe()}\n  → ${problems.join('\n  → ')}`);
                  if (!fuzzer.client.isOpen) {
                    failures.push(
                      `${f.describe()}\n  → connection closed: ${JSON.stringify(fuzzer.client.closeInfo)}`,
                    );
                    return;
                  }
                }
              }),
            );
            await stopAllTasks(control);
            if (failures.length > 0) throw new Error(failures.slice(0, 5).join('\n'));
          },
        ),
        { numRuns: TOTAL_FRAMES / BATCH, seed: SEED, endOnFailure: true, includeErrorInReport: true },
      );
    } catch (error) {
      throw new Error(`FUZZ_SEED=${SEED} reproduces this (run ${runs}):\n${(error as Error).message}`);
    }
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    console.info(
      `ws fuzz: ${total} frames ${JSON.stringify(Object.fromEntries(counts))}; direct replies ${JSON.stringify(
        Object.fromEntries([...replyKinds].sort((a, b) => b[1] - a[1])),
      )}; events ${JSON.stringify(Object.fromEntries(others))}; ms per kind ${JSON.stringify(Object.fromEntries([...elapsed].map(([k, v]) => [k, Math.round(v)])))}`,
    );
    expect(total).toBe(TOTAL_FRAMES);
    for (const f of fuzzers) expect(f.client.isOpen).toBe(true);
  }, 120_000);

  it('still answers a fresh client, and the heap has not grown beyond the bound', async () => {
    // Let every worker exit (all tasks are stopped), so that only what the server keeps remains.
    const deadline = Date.now() + 20_000;
    let tasks = await stopAllTasks(control);
    while (tasks.some((t) => t.worker_state === 'running' || t.state === 'active') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      tasks = await stopAllTasks(control);
    }
    const fresh = await WsClient.connect(server.url);
    try {
      const reply = await listTasks(fresh);
      const problems = messageProblems({ msg: reply, raw: '', binary: false, consumed: true });
      expect(problems).toEqual([]);
      expect(tasksOf(reply).length).toBeGreaterThan(0);
    } finally {
      await fresh.close();
    }
    for (const f of fuzzers) f.client.frames.splice(0);
    control.frames.splice(0);
    await collectGarbage();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    console.info(`ws fuzz: ${tasks.length} tasks kept; heap growth ${(growth / 2 ** 20).toFixed(1)} MiB`);
    expect(growth).toBeLessThan(HEAP_GROWTH_BOUND_BYTES);
  }, 60_000);

  it('answers the frames that crashed the server before (fuzzing finds), as the spec says', async () => {
    // `type` naming an Object.prototype member reached it as a handler (a TypeError thrown in the
    // socket's message listener: an uncaught exception); a NUL byte in an argument made spawn throw.
    const regressions = [
      ...SPECIAL_NAMES.map((type) => `{"type":${JSON.stringify(type)},"id":"r-${type}"}`),
      `{"type":"start","id":"r-nul","task_id":"fz-nul","args":["a\u0000b"]}`,
      `{"type":"start","id":"r-nul-2","args":["\u0000"]}`,
    ];
    const fuzzer = fuzzers[0] as FuzzConnection;
    for (const text of regressions) {
      const f = new Frame('regression', text, false);
      const problems = replyProblems(f, await fuzzer.exchange(f));
      expect(problems, f.describe()).toEqual([]);
    }
    expect(fuzzer.client.isOpen).toBe(true);
  }, 30_000);

  it('closes a connection with 1009 for a frame over the 1 MiB limit, and only then', async () => {
    const over: Array<[string, string | Buffer, boolean]> = [
      ['text, limit + 1 bytes', 'x'.repeat(LIMIT + 1), false],
      ['text, 2 MiB', 'x'.repeat(2 * LIMIT), false],
      ['binary, limit + 1 bytes', Buffer.alloc(LIMIT + 1, 0x20), true],
      ['valid list padded to limit + 1', `{"type":"list"}${' '.repeat(LIMIT + 1 - 15)}`, false],
      ['multi-byte text: fewer characters than the limit, more bytes', 'é'.repeat(LIMIT / 2 + 1), false],
    ];
    for (const [what, data, binary] of over) {
      const c = await WsClient.connect(server.url);
      c.sendRaw(data, { binary });
      const closed = await c.waitClose(10_000);
      expect(closed.code, what).toBe(CloseCodes.messageTooBig);
    }
    // Exactly at the limit is still a frame like any other.
    const c = await WsClient.connect(server.url);
    try {
      const message = '{"type":"list","id":"at-limit"}';
      c.sendRaw(`${message}${' '.repeat(LIMIT - message.length)}`);
      const reply = await c.next((m) => m.type === 'tasks' && m.id === 'at-limit', 10_000);
      expect(messageProblems({ msg: reply, raw: '', binary: false, consumed: true })).toEqual([]);
      expect(c.isOpen).toBe(true);
    } finally {
      await c.close();
    }
  }, 60_000);
});
