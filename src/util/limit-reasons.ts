/**
 * What an operator is told of one limit on `/metrics` (`claudeman_limit_<metric>`): why it exists. A
 * limit kept in milliseconds is shown in seconds (its metric name ends in `_seconds`), as Prometheus
 * wants; bytes, characters and counts are shown as they are.
 */
export interface LimitReason {
  readonly metric: string;
  readonly reason: string;
}

/**
 * The reasons of a group of limits, one per key, written next to the values: the compiler refuses a
 * new limit without its reason (null: internal, not shown, e.g. a wire constant that bounds nothing).
 */
export type LimitReasons<T extends Record<string, number>> = { readonly [K in keyof T]: LimitReason | null };

/** One limit as `/metrics` shows it. */
export interface DescribedLimit {
  readonly name: string;
  readonly value: number;
  readonly reason: string;
}

/** One limit kept as a constant of its own, with its reason. */
export function describeLimit(value: number, reason: LimitReason): DescribedLimit {
  // Shown in the unit its name says: milliseconds as seconds.
  const shown = reason.metric.endsWith('_seconds') ? value / 1000 : value;
  return { name: reason.metric, value: shown, reason: reason.reason };
}

/** The group's limits with their reasons, in the order of the reasons, values converted to units. */
export function describeLimits<T extends Record<string, number>>(
  values: T,
  reasons: LimitReasons<T>,
): DescribedLimit[] {
  const described: DescribedLimit[] = [];
  for (const key of Object.keys(reasons) as (keyof T & string)[]) {
    const reason = reasons[key];
    if (reason !== null) described.push(describeLimit(values[key] as number, reason));
  }
  return described;
}
