import { hostname, networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { HostAllowlist, hostNameOf, parseHostNames } from '../../src/server/security/host-allowlist.js';

/** A non-loopback address of this machine as a Host header would name it, if it has one. */
function someInterfaceHost(): string | null {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.internal) continue;
      return address.family === 'IPv6' ? `[${address.address.replace(/%.*$/, '')}]` : address.address;
    }
  }
  return null;
}

describe('Host allowlist (DNS-rebinding protection)', () => {
  const hosts = new HostAllowlist({ extraNames: parseHostNames(' Box.LAN, ,other ') });

  it('allows localhost, loopback literals of any form, with or without a port', () => {
    for (const header of [
      'localhost',
      'LOCALHOST:3000',
      '127.0.0.1',
      '127.0.0.1:8080',
      '127.1.2.3:80',
      '[::1]',
      '[::1]:8080',
      '[0:0:0:0:0:0:0:1]:8080',
      '[::ffff:127.0.0.1]:80',
    ]) {
      expect(hosts.allows(header), header).toBe(true);
    }
  });

  it("allows this machine's host name, its interface addresses and the configured names", () => {
    expect(hosts.allows(`${hostname()}:8080`)).toBe(true);
    expect(hosts.allows('box.lan:3000')).toBe(true);
    expect(hosts.allows('OTHER')).toBe(true);
    const address = someInterfaceHost();
    if (address !== null) expect(hosts.allows(`${address}:8080`), address).toBe(true);
  });

  it('refuses every other name, look-alikes of loopback and malformed headers', () => {
    for (const header of [
      'rebind.example:8080',
      'rebind.example',
      '127.evil.example:8080',
      'localhost.evil.example',
      'evil.localhost.',
      '1.2.3.4:80',
      '[::2]:80',
      '[::1',
      '',
      ':8080',
    ]) {
      expect(hosts.allows(header), header).toBe(false);
    }
    expect(hosts.allows(undefined)).toBe(false);
  });

  it('allows the bound address, but not the wildcard addresses as names', () => {
    expect(new HostAllowlist({ boundHost: 'Box.Example' }).allows('box.example:3000')).toBe(true);
    expect(new HostAllowlist({ boundHost: '0.0.0.0' }).allows('0.0.0.0:3000')).toBe(false);
    expect(new HostAllowlist({ boundHost: '::' }).allows('[::]:3000')).toBe(false);
  });

  it('takes the host part of a Host header', () => {
    expect(hostNameOf('Example.COM:80')).toBe('example.com');
    expect(hostNameOf('[::1]:80')).toBe('[::1]');
    expect(hostNameOf('[::1')).toBeNull();
    expect(hostNameOf(undefined)).toBeNull();
  });
});
