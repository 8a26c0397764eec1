/**
 * The overseer's IP allowlist (`OVERSEER_TRUSTED_CIDRS`), with the original Go program's parsing and
 * matching rules (`net.ParseCIDR`, `net.ParseIP`, `IPNet.Contains`).
 *
 * Addresses are held as 16-bit groups (2 for IPv4, 8 for IPv6) so one prefix comparison serves both
 * families. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is treated as the IPv4 address, as Go does:
 * Node reports IPv4 peers of a dual-stack listener in that form, and they must meet the IPv4 ranges.
 */

import { isIP } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import { networkInterfaces } from 'node:os';

const GROUP_BITS = 16;
const GROUP_MASK = 0xffff;
const IPV6_GROUPS = 8;
const IPV4_BITS = 32;
const IPV6_BITS = 128;
/** Bits before the IPv4 part of an IPv4-mapped IPv6 address (`::ffff:0:0/96`). */
const MAPPED_PREFIX_BITS = 96;
/** Index of the `ffff` group that marks an IPv4-mapped IPv6 address. */
const MAPPED_MARKER_GROUP = 5;

/** Loopback ranges that are always part of the default allowlist. */
const LOOPBACK_CIDRS = ['127.0.0.0/8', '::1/128'];

export class TrustedCidrsError extends Error {
  readonly code = 'ERR_TRUSTED_CIDRS';

  constructor(message: string) {
    super(message);
    this.name = 'TrustedCidrsError';
  }
}

/** One allowlist entry: the masked network and its prefix length. */
export interface CidrRange {
  readonly family: 4 | 6;
  /** 16-bit groups, most significant first: 2 for IPv4, 8 for IPv6. */
  readonly groups: readonly number[];
  readonly prefix: number;
}

interface IpAddress {
  readonly family: 4 | 6;
  readonly groups: number[];
}

function parseIpv4Groups(text: string): number[] {
  const octets = text.split('.').map(Number);
  const [a = 0, b = 0, c = 0, d = 0] = octets;
  return [(a << 8) | b, (c << 8) | d];
}

/** Groups of one side of a `::`; an embedded dotted IPv4 tail counts as two groups. */
function parseIpv6Side(text: string): number[] {
  if (text === '') return [];
  const groups: number[] = [];
  for (const part of text.split(':')) {
    if (part.includes('.')) groups.push(...parseIpv4Groups(part));
    else groups.push(Number.parseInt(part, 16));
  }
  return groups;
}

/**
 * Parses an IP address without zone in its textual family (a mapped address stays IPv6); null when
 * invalid. Syntax is checked by `net.isIP`; the text is split only after it passed.
 */
function parseIp(text: string): IpAddress | null {
  const family = isIP(text);
  if (family === 4) return { family: 4, groups: parseIpv4Groups(text) };
  // Go's ParseIP/ParseCIDR reject zones ("fe80::1%eth0"); isIP accepts them.
  if (family !== 6 || text.includes('%')) return null;

  const gap = text.indexOf('::');
  const head = parseIpv6Side(gap === -1 ? text : text.slice(0, gap));
  const tail = gap === -1 ? [] : parseIpv6Side(text.slice(gap + 2));
  const zeros = IPV6_GROUPS - head.length - tail.length;
  if (zeros < 0 || (gap === -1 && zeros !== 0)) return null;
  return { family: 6, groups: [...head, ...new Array<number>(zeros).fill(0), ...tail] };
}

/** The IPv4 address inside an IPv4-mapped IPv6 address, else the address unchanged (Go's `To4`). */
function unmap(address: IpAddress): IpAddress {
  if (address.family === 4 || !isIpv4Mapped(address.groups)) return address;
  return { family: 4, groups: address.groups.slice(MAPPED_MARKER_GROUP + 1) };
}

function isIpv4Mapped(groups: readonly number[]): boolean {
  for (let i = 0; i < MAPPED_MARKER_GROUP; i++) if (groups[i] !== 0) return false;
  return groups[MAPPED_MARKER_GROUP] === GROUP_MASK;
}

/** Mask of the top `bits` bits of a 16-bit group (0 ≤ bits ≤ 16). */
function groupMask(bits: number): number {
  return bits <= 0 ? 0 : (GROUP_MASK << (GROUP_BITS - Math.min(bits, GROUP_BITS))) & GROUP_MASK;
}

function maskGroups(groups: readonly number[], prefix: number): number[] {
  return groups.map((group, i) => group & groupMask(prefix - i * GROUP_BITS));
}

function inRange(range: CidrRange, groups: readonly number[]): boolean {
  for (let i = 0; i * GROUP_BITS < range.prefix; i++) {
    const mask = groupMask(range.prefix - i * GROUP_BITS);
    if (((groups[i] ?? 0) & mask) !== range.groups[i]) return false;
  }
  return true;
}

/** RFC 5952 text: lower-case hex, no leading zeros, the first longest run of ≥ 2 zero groups as `::`. */
function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < groups.length && groups[end] === 0) end++;
    if (end - i > bestLength) {
      bestStart = i;
      bestLength = end - i;
    }
    i = end;
  }
  const hex = (part: readonly number[]): string => part.map((g) => g.toString(16)).join(':');
  if (bestStart === -1) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

function formatRange(range: CidrRange): string {
  if (range.family === 6) return `${formatIpv6(range.groups)}/${range.prefix}`;
  const octets = range.groups.flatMap((g) => [g >> 8, g & 0xff]);
  return `${octets.join('.')}/${range.prefix}`;
}

function makeRange(address: IpAddress, prefix: number): CidrRange {
  return { family: address.family, groups: maskGroups(address.groups, prefix), prefix };
}

/**
 * `a.b.c.d/n` or `x::y/n` with host bits cleared, or null. Like Go's ParseCIDR the prefix is plain
 * decimal (leading zeros allowed) within the address family's width. A network that is still
 * IPv4-mapped after masking (prefix ≥ 96) becomes the IPv4 network, as Go's `IPNet.Contains` treats it.
 */
function parseCidr(text: string): CidrRange | null {
  const slash = text.indexOf('/');
  if (slash === -1) return null;
  const prefixText = text.slice(slash + 1);
  if (!/^[0-9]+$/.test(prefixText)) return null;
  const address = parseIp(text.slice(0, slash));
  if (address === null) return null;
  const prefix = Number(prefixText);
  if (prefix > (address.family === 4 ? IPV4_BITS : IPV6_BITS)) return null;
  const range = makeRange(address, prefix);
  if (range.family === 6 && prefix >= MAPPED_PREFIX_BITS && isIpv4Mapped(range.groups)) {
    return {
      family: 4,
      groups: range.groups.slice(MAPPED_MARKER_GROUP + 1),
      prefix: prefix - MAPPED_PREFIX_BITS,
    };
  }
  return range;
}

/** An immutable allowlist of networks; the peer check runs before every WebSocket upgrade. */
export class TrustedCidrs {
  readonly #ranges: readonly CidrRange[];

  constructor(ranges: readonly CidrRange[]) {
    this.#ranges = Object.freeze([...ranges]);
  }

  /**
   * Whether a peer address (`socket.remoteAddress`: IPv4, IPv6, IPv4-mapped IPv6, optionally with a
   * `%zone`) lies in one of the networks. Anything unparsable is untrusted.
   */
  isTrusted(remoteAddress: string): boolean {
    const zone = remoteAddress.indexOf('%');
    // A zone names the interface, not the address; the network test is about the address alone.
    const parsed = parseIp(zone === -1 ? remoteAddress : remoteAddress.slice(0, zone));
    if (parsed === null) return false;
    const address = unmap(parsed);
    return this.#ranges.some((range) => range.family === address.family && inRange(range, address.groups));
  }

  /** The networks as CIDR text with host bits cleared, e.g. `["127.0.0.0/8", "::1/128"]`, for logs. */
  describe(): string[] {
    return this.#ranges.map(formatRange);
  }
}

/**
 * Parses `OVERSEER_TRUSTED_CIDRS`: comma-separated CIDRs or bare IPs (a bare IP is /32 or /128),
 * whitespace around each entry ignored.
 *
 * @throws TrustedCidrsError naming the first bad entry; an empty entry (say from a trailing comma)
 *   is a bad IP, as in the original.
 */
export function parseTrustedCidrs(spec: string): TrustedCidrs {
  const ranges: CidrRange[] = [];
  for (const rawEntry of spec.split(',')) {
    const entry = rawEntry.trim();
    if (entry.includes('/')) {
      const range = parseCidr(entry);
      if (range === null) throw new TrustedCidrsError(`invalid CIDR in trusted CIDRs: ${entry}`);
      ranges.push(range);
    } else {
      const parsed = parseIp(entry);
      if (parsed === null) throw new TrustedCidrsError(`invalid IP in trusted CIDRs: ${entry}`);
      // Go's bare-IP rule picks /32 whenever To4() succeeds, so a mapped address is an IPv4 host.
      const address = unmap(parsed);
      ranges.push(makeRange(address, address.family === 4 ? IPV4_BITS : IPV6_BITS));
    }
  }
  return new TrustedCidrs(ranges);
}

/**
 * Loopback plus the network of every local interface: peers on the machine's own subnets are trusted.
 * `interfaces` exists for tests; it defaults to `os.networkInterfaces()`.
 */
export function defaultTrustedCidrs(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): TrustedCidrs {
  const seen = new Set<string>();
  const ranges: CidrRange[] = [];
  const add = (range: CidrRange | null): void => {
    if (range === null) return;
    const key = formatRange(range);
    if (seen.has(key)) return;
    seen.add(key);
    ranges.push(range);
  };
  for (const cidr of LOOPBACK_CIDRS) add(parseCidr(cidr));
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      if (info.cidr === null) continue;
      // Defensive: a link-local address may carry a `%zone` on some platforms; an interface that
      // still does not parse is skipped rather than making the default list fail at start-up.
      add(parseCidr(info.cidr.replace(/%[^/]*/, '')));
    }
  }
  return new TrustedCidrs(ranges);
}

/** The allowlist for an `OVERSEER_TRUSTED_CIDRS` value: unset or blank means the defaults. */
export function trustedCidrsFromEnv(value: string | undefined): TrustedCidrs {
  if (value === undefined || value.trim() === '') return defaultTrustedCidrs();
  return parseTrustedCidrs(value);
}
