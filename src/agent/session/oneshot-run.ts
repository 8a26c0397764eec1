import { StringDecoder } from 'node:string_decoder';
import type { Clock, TimerHandle } from '../../supervisor/clock.js';
import type { ExitStatus } from '../../supervisor/spawn/child-process.js';
import { type PipeChild, spawnPiped } from '../../supervisor/spawn/pipe-process.js';
import {
  assistantText,
  type ClassifiedMessage,
  messageSessionId,
  resultCost,
} from '../claude/claude-messages.js';
import { StreamJsonParser } from '../claude/stream-json-parser.js';

/** After the result line, how long the CLI may take to exit before it is stopped (ms). */
const EXIT_AFTER_RESULT_MS = 10_000;
/** Grace between SIGTERM and SIGKILL when a run is stopped (ms). */
const RUN_STOP_GRACE_MS = 3_000;

export interface OneShotSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly prompt: string;
  /** The CLI can hang without ever printing a result: the run's own deadline (ms). */
  readonly timeoutMs: number;
}

/** What a run produces, as it happens. */
export interface OneShotListener {
  onRawOutput(text: string): void;
  onMessage(message: ClassifiedMessage, rawLine: string): void;
  onText(line: string): void;
  onStderr(text: string): void;
}

export interface OneShotOutcome {
  /** The final text (the result line's `result`), or null when none arrived. */
  readonly result: string | null;
  readonly cost: number;
  readonly isError: boolean;
  readonly claudeSessionId: string | null;
  readonly exit: ExitStatus;
  /** Why the run failed (timeout, crash, error result), or null when it succeeded. */
  readonly error: string | null;
}

/**
 * One headless `claude -p` run: the prompt on stdin, stream-json parsed line by line, a deadline,
 * and one outcome once the process has exited and its output was read.
 */
export class OneShotRun {
  readonly outcome: Promise<OneShotOutcome>;
  private result: string | null = null;
  private cost = 0;
  private resultIsError = false;
  private claudeSessionId: string | null = null;
  private lastAssistantText = '';
  private failure: string | null = null;
  private stderrTail = '';
  private deadline: TimerHandle | null = null;

  private constructor(
    private readonly child: PipeChild,
    private readonly clock: Clock,
    settled: Promise<ExitStatus>,
    finishParsing: () => void,
  ) {
    this.outcome = settled.then((exit) => {
      finishParsing();
      this.clearDeadline();
      return this.finish(exit);
    });
  }

  static start(
    spec: OneShotSpec,
    listener: OneShotListener,
    clock: Clock,
  ): { ok: true; run: OneShotRun } | { ok: false; error: string } {
    let run: OneShotRun | null = null;
    const parser = new StreamJsonParser({
      onMessage: (message, rawLine) => {
        run?.observe(message);
        listener.onMessage(message, rawLine);
      },
      onText: (line) => listener.onText(line),
    });
    const stdout = new StringDecoder('utf8');
    const stderr = new StringDecoder('utf8');
    const spawned = spawnPiped(
      { command: spec.command, args: spec.args, cwd: spec.cwd, env: spec.env },
      {
        stdout: (chunk) => {
          const text = stdout.write(chunk);
          listener.onRawOutput(text);
          parser.push(text);
        },
        stderr: (chunk) => {
          const text = stderr.write(chunk);
          if (run !== null) run.stderrTail = (run.stderrTail + text).slice(-2_000);
          listener.onStderr(text);
        },
      },
      clock,
      spec.prompt,
    );
    if (!spawned.ok) return spawned;
    const started = new OneShotRun(spawned.child, clock, spawned.child.settled, () => {
      parser.push(stdout.end());
      parser.end();
    });
    run = started;
    started.deadline = clock.setTimeout(
      () => started.abort(`timed out after ${Math.round(spec.timeoutMs / 1000)} s without a result`),
      spec.timeoutMs,
    );
    return { ok: true, run: started };
  }

  get pid(): number {
    return this.child.pid;
  }

  /** Stops the run; the outcome reports `reason` as its error. */
  abort(reason: string): void {
    this.failure ??= reason;
    this.child.terminate(RUN_STOP_GRACE_MS);
  }

  private observe(message: ClassifiedMessage): void {
    const sessionId = messageSessionId(message);
    if (sessionId !== null && (message.type === 'result' || this.claudeSessionId === null)) {
      this.claudeSessionId = sessionId;
    }
    if (message.type === 'assistant') {
      const text = assistantText(message);
      if (text !== '') this.lastAssistantText = text;
    } else if (message.type === 'result') {
      this.result = message.result ?? this.lastAssistantText;
      this.cost = resultCost(message) ?? 0;
      this.resultIsError = message.is_error;
      // A CLI that printed its result but does not exit is stopped after a grace period.
      this.clearDeadline();
      this.deadline = this.clock.setTimeout(
        () => this.abort('did not exit after its result'),
        EXIT_AFTER_RESULT_MS,
      );
    }
  }

  private clearDeadline(): void {
    if (this.deadline !== null) this.clock.clearTimeout(this.deadline);
    this.deadline = null;
  }

  private finish(exit: ExitStatus): OneShotOutcome {
    let error = this.failure;
    if (error === null && this.result === null) {
      const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      const detail = lastLine(this.stderrTail);
      error = `claude ${how} before a result${detail ? `: ${detail}` : ''}`;
    }
    if (error === null && this.resultIsError) error = `claude reported an error: ${this.result ?? ''}`.trim();
    return {
      result: this.result,
      cost: this.cost,
      isError: error !== null,
      claudeSessionId: this.claudeSessionId,
      exit,
      error,
    };
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines.at(-1) ?? '').trim().slice(0, 500);
}
