/** Output helpers: exact JSON for scripts, aligned tables and optional colour for people. */

/** Colours only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  const noColor = process.env.NO_COLOR;
  return stream.isTTY === true && (noColor === undefined || noColor === '');
}

const CODES = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;
export type Colour = keyof typeof CODES;

export function paint(text: string, colour: Colour): string {
  return useColour() ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
}

export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** The response body exactly as the API returned it. */
export function printRaw(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * A paged list's items as one JSON array, written item by item (never as one string: a list of many
 * large items can exceed the longest string JavaScript has). `text`, when the server's answer was
 * one page, is printed unchanged instead.
 */
export function printJsonList(list: {
  readonly value: readonly unknown[];
  readonly text: string | null;
}): void {
  if (list.text !== null) {
    printRaw(list.text);
    return;
  }
  process.stdout.write('[');
  let separator = '';
  for (const item of list.value) {
    process.stdout.write(`${separator}${JSON.stringify(item)}`);
    separator = ',';
  }
  process.stdout.write(']\n');
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the colour escapes is the point
const VISIBLE = /\u001b\[[0-9;]*m/g;
const width = (text: string): number => text.replace(VISIBLE, '').length;

/** A table with a bold header; an empty one prints `empty` instead. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], empty: string): void {
  if (rows.length === 0) {
    out(paint(empty, 'dim'));
    return;
  }
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => width(row[column] ?? ''))),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell + ' '.repeat((widths[column] ?? 0) - width(cell)),
      )
      .join('  ')
      .trimEnd();
  out(paint(line(headers), 'bold'));
  for (const row of rows) out(line(row));
}

/** `key: value` lines, keys aligned. */
export function details(pairs: readonly (readonly [string, string])[]): void {
  const keyWidth = Math.max(...pairs.map(([key]) => key.length));
  for (const [key, value] of pairs) out(`${paint(`${key}:`.padEnd(keyWidth + 1), 'dim')} ${value}`);
}

export const usd = (value: number | null | undefined): string =>
  value === null || value === undefined ? '-' : `$${value.toFixed(4)}`;

export const time = (epochMs: number | null | undefined): string =>
  epochMs === null || epochMs === undefined ? '-' : new Date(epochMs).toISOString().replace(/\.\d+Z$/, 'Z');

export const orDash = (value: unknown): string =>
  value === null || value === undefined || value === '' ? '-' : String(value);

export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

const STATUS_COLOURS: Record<string, Colour> = {
  idle: 'green',
  running: 'yellow',
  busy: 'yellow',
  active: 'green',
  completed: 'green',
  error: 'red',
  errored: 'red',
  failed: 'red',
  stopped: 'dim',
  cancelled: 'dim',
};

export const status = (value: string): string => {
  const colour = STATUS_COLOURS[value];
  return colour === undefined ? value : paint(value, colour);
};
