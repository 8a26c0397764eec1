/**
 * Fan-out of engine events to subscribers, each with its own bounded queue.
 *
 * Publishing never blocks and never waits for a subscriber: events are queued per subscriber and
 * delivered in batches on a microtask, so everything published while handling one chunk of child
 * output reaches a subscriber as one batch. A subscriber that cannot keep up pauses itself; its queue
 * then grows up to its limit, after which it is dropped and told so (onOverflow) — it never slows the
 * publisher or the other subscribers, and memory stays bounded.
 */

export interface SubscriberOptions<E> {
  /** Only events for which this returns true are queued. */
  readonly filter?: (event: E) => boolean;
  /** Most events held for this subscriber while it is paused or before delivery. */
  readonly maxQueued: number;
  readonly deliver: (batch: readonly E[]) => void;
  /** Called once when the queue overflowed; the subscription is closed by then. */
  readonly onOverflow: (queued: number) => void;
}

export interface Subscription {
  /** Stop delivering (events keep queueing, bounded). */
  pause(): void;
  resume(): void;
  close(): void;
  readonly queued: number;
  readonly closed: boolean;
}

class QueuedSubscriber<E> implements Subscription {
  queue: E[] = [];
  paused = false;
  closed = false;

  constructor(
    readonly options: SubscriberOptions<E>,
    private readonly bus: EventBus<E>,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused || this.closed) return;
    this.paused = false;
    if (this.queue.length > 0) this.bus.scheduleFlush();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.bus.remove(this);
  }
}

export class EventBus<E> {
  private subscribers: QueuedSubscriber<E>[] = [];
  private flushScheduled = false;
  private readonly flush = (): void => this.deliverQueued();

  subscribe(options: SubscriberOptions<E>): Subscription {
    const subscriber = new QueuedSubscriber(options, this);
    this.subscribers = [...this.subscribers, subscriber];
    return subscriber;
  }

  get subscriberCount(): number {
    return this.subscribers.length;
  }

  publish(event: E): void {
    let queuedAny = false;
    for (const subscriber of this.subscribers) {
      if (subscriber.closed) continue;
      const filter = subscriber.options.filter;
      if (filter !== undefined && !filter(event)) continue;
      subscriber.queue.push(event);
      if (subscriber.queue.length > subscriber.options.maxQueued) {
        this.overflow(subscriber);
        continue;
      }
      queuedAny = true;
    }
    if (queuedAny) this.scheduleFlush();
  }

  /** @internal */
  scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(this.flush);
  }

  /** @internal */
  remove(subscriber: QueuedSubscriber<E>): void {
    this.subscribers = this.subscribers.filter((s) => s !== subscriber);
  }

  private overflow(subscriber: QueuedSubscriber<E>): void {
    const queued = subscriber.queue.length;
    subscriber.close();
    subscriber.options.onOverflow(queued);
  }

  private deliverQueued(): void {
    this.flushScheduled = false;
    // The array is replaced, never mutated, on subscribe/remove: iterating a snapshot is safe even
    // when a deliver() call subscribes or closes.
    for (const subscriber of this.subscribers) {
      if (subscriber.closed || subscriber.paused || subscriber.queue.length === 0) continue;
      const batch = subscriber.queue;
      subscriber.queue = [];
      subscriber.options.deliver(batch);
    }
  }
}
