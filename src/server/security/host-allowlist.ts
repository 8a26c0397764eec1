import { isIPv4, isIPv6 } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';

/**
 * DNS-rebinding protection: the names a `Host` header may carry. A web page on `rebind.example` that
 * resolves to 127.0.0.1 reaches our port with its own name in `Host` (and an `Origin` that matches
 * it, so the Origin check alone passes); refusing every name that is not ours stops it before any
 * route or upgrade runs.
 *
 * Ours are: `localhost`, every loopback literal (127.0.0.0/8, ::1), this machine's interface
 * addresses and host name, the bound address, and names the user configured. IP literals cannot be
 * rebound, so allowing our own is safe; a configured name is the user's decision.
 */
export interface HostAllowlistOptions {
  /** Extra names (lower-cased, without port), e.g. from CLAUDEMAN_ALLOWED_HOSTS / OVERSEER_ALLOWED_HOSTS. */
  readonly extraNames?: readonly string[];
  /** The address the server is bound to, when it names a host (it is then allowed too). */
  readonly boundHost?: string;
}

/** How often the interface addresses are read again when a literal address is not among them (ms). */
const INTERFACE_REFRESH_MS = 5_000;

/**
 * The host part of a `Host` header value, lower-cased, without the port; IPv6 literals keep their
 * brackets. Null when there is none.
 */
export function hostNameOf(header: string | undefined): string | null {
  if (header === undefined || header === '') return null;
  if (header.startsWith('[')) {
    const close = header.indexOf(']');
    return close === -1 ? null : header.slice(0, close + 1).toLowerCase();
  }
  const colon = header.lastIndexOf(':');
  return (colon === -1 ? header : header.slice(0, colon)).toLowerCase();
}

/** The form an address takes in a `Host` header: IPv6 in brackets, without a zone id. */
function asHostName(address: string): string {
  const plain = address.toLowerCase().replace(/%.*$/, '');
  return isIPv6(plain) ? `[${plain}]` : plain;
}

function isLoopbackLiteral(name: string): boolean {
  if (isIPv4(name)) return name.startsWith('127.');
  if (!name.startsWith('[') || !name.endsWith(']')) return false;
  const inner = name.slice(1, -1);
  if (!isIPv6(inner)) return false;
  if (inner === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(inner)) return true;
  // An IPv4-mapped loopback address (::ffff:127.x.y.z).
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(inner);
  return mapped?.[1] !== undefined && isIPv4(mapped[1]) && mapped[1].startsWith('127.');
}

function interfaceHostNames(): Set<string> {
  const names = new Set<string>();
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) names.add(asHostName(address.address));
  }
  return names;
}

export class HostAllowlist {
  private readonly fixed: Set<string>;
  private interfaces: Set<string>;
  private interfacesReadAt: number;

  constructor(options: HostAllowlistOptions = {}) {
    this.fixed = new Set(['localhost', hostname().toLowerCase()]);
    for (const name of options.extraNames ?? []) if (name !== '') this.fixed.add(name.toLowerCase());
    const bound = options.boundHost?.toLowerCase();
    if (bound !== undefined && bound !== '' && bound !== '0.0.0.0' && bound !== '::') {
      this.fixed.add(asHostName(bound));
    }
    this.interfaces = interfaceHostNames();
    this.interfacesReadAt = Date.now();
  }

  /** Whether a request with this `Host` header value is addressed to us. */
  allows(hostHeader: string | undefined): boolean {
    const name = hostNameOf(hostHeader);
    if (name === null) return false;
    if (this.fixed.has(name) || isLoopbackLiteral(name) || this.interfaces.has(name)) return true;
    // Interfaces come and go (DHCP, VPNs): an unknown literal re-reads them, at most every few seconds.
    if (!isIPv4(name) && !name.startsWith('[')) return false;
    const now = Date.now();
    if (now - this.interfacesReadAt < INTERFACE_REFRESH_MS) return false;
    this.interfaces = interfaceHostNames();
    this.interfacesReadAt = now;
    return this.interfaces.has(name);
  }

  /** The names allowed besides loopback literals and interface addresses (for the start-up log). */
  describe(): string[] {
    return [...this.fixed];
  }
}

/** Names from a comma-separated setting (CLAUDEMAN_ALLOWED_HOSTS, OVERSEER_ALLOWED_HOSTS). */
export function parseHostNames(setting: string | undefined): string[] {
  return (setting ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
}
