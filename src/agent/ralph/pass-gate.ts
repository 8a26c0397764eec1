export interface PassGateOptions {
  /** One look at everything. */
  readonly pass: () => void;
  /** Passes run only while this holds (the loop runs). */
  readonly active: () => boolean;
  /** A pass threw: a bug, handled here instead of thrown into the signal or timer that asked. */
  readonly failed: (error: unknown) => void;
}

/**
 * Serialises the Ralph loop's passes: a pass asked for while one runs, or while the loop changes its
 * state, runs once that is over (a pass in the middle would see half a change and publish its events
 * between the change's own). Requests meanwhile add up to one more pass.
 */
export class PassGate {
  #busy = false;
  #wanted = false;

  constructor(private readonly options: PassGateOptions) {}

  /** Runs `change` with passes held back, then the pass they asked for. */
  exclusively(change: () => void): void {
    if (this.#busy) {
      change();
      return;
    }
    this.#busy = true;
    try {
      change();
    } finally {
      this.#busy = false;
    }
    if (this.#wanted) this.request();
  }

  /** From inside a change or a pass: one more pass once it is over. */
  want(): void {
    this.#wanted = true;
  }

  /** A pass now, or once the running change or pass is over. */
  request(): void {
    if (!this.options.active()) return;
    if (this.#busy) {
      this.#wanted = true;
      return;
    }
    this.#busy = true;
    try {
      do {
        this.#wanted = false;
        this.options.pass();
      } while (this.#wanted && this.options.active());
    } catch (error) {
      this.options.failed(error);
    } finally {
      this.#busy = false;
      this.#wanted = false;
    }
  }
}
