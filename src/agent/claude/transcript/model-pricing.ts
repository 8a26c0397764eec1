import type { TokenUsage } from '../../../protocol/rest/transcript.js';

/**
 * What an API call costs by the list prices of Anthropic's models (USD per million tokens), for a
 * CLI that reports no cost of its own (an interactive CLI tells only its status line). A model the
 * table does not know is priced as a Sonnet: the middle of the range, so a budget still binds.
 */
interface Price {
  readonly input: number;
  readonly output: number;
  readonly cacheWrite: number;
  readonly cacheRead: number;
}

const OPUS_LEGACY: Price = { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 };
const OPUS: Price = { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 };
const SONNET: Price = { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 };
const HAIKU: Price = { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 };
const HAIKU_3_5: Price = { input: 0.8, output: 4, cacheWrite: 1, cacheRead: 0.08 };
const HAIKU_3: Price = { input: 0.25, output: 1.25, cacheWrite: 0.3, cacheRead: 0.03 };

function priceOf(model: string | null): Price {
  const name = (model ?? '').toLowerCase();
  if (name.includes('opus'))
    return /opus-4-[01]\b|opus-4(?!-)|opus-4-\d{8}\b|3-opus/.test(name) ? OPUS_LEGACY : OPUS;
  if (name.includes('haiku')) {
    if (name.includes('3-5')) return HAIKU_3_5;
    return name.includes('3-haiku') ? HAIKU_3 : HAIKU;
  }
  return SONNET;
}

export function estimateCostUsd(model: string | null, usage: TokenUsage): number {
  const price = priceOf(model);
  return (
    (usage.inputTokens * price.input +
      usage.outputTokens * price.output +
      usage.cacheWriteTokens * price.cacheWrite +
      usage.cacheReadTokens * price.cacheRead) /
    1_000_000
  );
}
