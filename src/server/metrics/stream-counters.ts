import type { EventBus, Subscription } from '../../events/bus.js';
import type { EngineEvent } from '../engine-event.js';
import { Limits } from '../limits.js';

/** One sample of a metric: its labels and value. */
interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A metric as Prometheus' text format shows it. */
export interface MetricFamily {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly samples: readonly Sample[];
}

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/** Renders metric families in the Prometheus text exposition format (version 0.0.4). */
export function renderPrometheus(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels ?? {});
      const labelText =
        labels.length === 0
          ? ''
          : `{${labels.map(([key, value]) => `${key}="${escapeLabel(value)}"`).join(',')}}`;
      lines.push(`${family.name}${labelText} ${Number.isFinite(sample.value) ? sample.value : 0}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Counters fed by the event bus: how much the server has streamed and how often tasks restarted.
 * Counting is a few additions per event batch, off any client's path.
 */
export class EventCounters {
  readonly byKind = new Map<string, number>();
  outputLines = 0;
  terminalChars = 0;
  private readonly subscription: Subscription;

  constructor(bus: EventBus<EngineEvent>) {
    this.subscription = bus.subscribe({
      maxQueued: Limits.subscriberQueueEvents,
      deliver: (batch) => {
        for (const event of batch) {
          this.byKind.set(event.kind, (this.byKind.get(event.kind) ?? 0) + 1);
          if (event.kind === 'process:output') this.outputLines++;
          else if (event.kind === 'session:terminal') this.terminalChars += event.data.data.length;
        }
      },
      onOverflow: () => {},
    });
  }

  count(kind: string): number {
    return this.byKind.get(kind) ?? 0;
  }

  close(): void {
    this.subscription.close();
  }
}
