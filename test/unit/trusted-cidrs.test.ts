import type { NetworkInterfaceInfo } from 'node:os';
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  defaultTrustedCidrs,
  parseTrustedCidrs,
  TrustedCidrsError,
  trustedCidrsFromEnv,
} from '../../src/server/security/trusted-cidrs.js';

function parseError(spec: string): TrustedCidrsError {
  try {
    parseTrustedCidrs(spec);
  } catch (error) {
    if (error instanceof TrustedCidrsError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(spec)} to be rejected`);
}

function iface(cidr: string | null, family: 'IPv4' | 'IPv6'): NetworkInterfaceInfo {
  const address = cidr?.split('/')[0] ?? '';
  const common = { address, netmask: '', mac: '00:00:00:00:00:00', internal: false, cidr };
  return family === 'IPv4' ? { ...common, family } : { ...common, family, scopeid: 0 };
}

describe('parseTrustedCidrs', () => {
  it.each<[string, string[]]>([
    ['10.0.0.0/8', ['10.0.0.0/8']],
    ['10.1.2.3/8', ['10.0.0.0/8']],
    ['192.168.1.77/24,172.16.0.0/12', ['192.168.1.0/24', '172.16.0.0/12']],
    ['  10.0.0.0/8 ,\t192.168.0.1  ', ['10.0.0.0/8', '192.168.0.1/32']],
    ['127.0.0.1', ['127.0.0.1/32']],
    ['::1', ['::1/128']],
    ['0.0.0.0/0,::/0', ['0.0.0.0/0', '::/0']],
    ['10.0.0.0/08', ['10.0.0.0/8']],
    ['1.2.3.4/32', ['1.2.3.4/32']],
    ['1.2.3.4/31', ['1.2.3.4/31']],
    ['1.2.3.5/31', ['1.2.3.4/31']],
    ['255.255.255.255/1', ['128.0.0.0/1']],
    ['2001:DB8::1/32', ['2001:db8::/32']],
    ['2001:db8:0:0:1:0:0:1', ['2001:db8::1:0:0:1/128']],
    ['2001:0:0:1:0:0:0:1', ['2001:0:0:1::1/128']],
    ['fe80::1:2:3:4/64', ['fe80::/64']],
    ['1:2:3:4:5:6:7:8/127', ['1:2:3:4:5:6:7:8/127']],
    ['1:2:3:4:5:6:7:9/127', ['1:2:3:4:5:6:7:8/127']],
    ['1:0:0:0:0:0:0:0', ['1::/128']],
    ['::2:0:0:0:0:0:0', ['0:2::/128']],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/113', ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:8000/113']],
    // Like Go, IPv4-mapped entries are IPv4 networks once the mask keeps the ::ffff marker.
    ['::ffff:10.1.2.3', ['10.1.2.3/32']],
    ['::ffff:10.1.2.3/104', ['10.0.0.0/8']],
    ['::ffff:a01:203/128', ['10.1.2.3/32']],
    ['::ffff:10.1.2.3/95', ['::fffe:0:0/95']],
    ['::ffff:10.1.2.3/80', ['::/80']],
    ['::1.2.3.4', ['::102:304/128']],
  ])('parses %j', (spec, described) => {
    expect(parseTrustedCidrs(spec).describe()).toEqual(described);
  });

  it.each<[string, string]>([
    ['', 'invalid IP in trusted CIDRs: '],
    ['   ', 'invalid IP in trusted CIDRs: '],
    ['10.0.0.1,', 'invalid IP in trusted CIDRs: '],
    [',10.0.0.1', 'invalid IP in trusted CIDRs: '],
    ['10.0.0.1,,10.0.0.2', 'invalid IP in trusted CIDRs: '],
    ['localhost', 'invalid IP in trusted CIDRs: localhost'],
    ['10.0.0.256', 'invalid IP in trusted CIDRs: 10.0.0.256'],
    ['10.0.0', 'invalid IP in trusted CIDRs: 10.0.0'],
    ['010.0.0.1', 'invalid IP in trusted CIDRs: 010.0.0.1'],
    ['fe80::1%eth0', 'invalid IP in trusted CIDRs: fe80::1%eth0'],
    ['1::2::3', 'invalid IP in trusted CIDRs: 1::2::3'],
    ['10.0.0.1 10.0.0.2', 'invalid IP in trusted CIDRs: 10.0.0.1 10.0.0.2'],
    ['10.0.0.0/33', 'invalid CIDR in trusted CIDRs: 10.0.0.0/33'],
    ['::/129', 'invalid CIDR in trusted CIDRs: ::/129'],
    ['10.0.0.0/', 'invalid CIDR in trusted CIDRs: 10.0.0.0/'],
    ['/8', 'invalid CIDR in trusted CIDRs: /8'],
    ['10.0.0.0/-1', 'invalid CIDR in trusted CIDRs: 10.0.0.0/-1'],
    ['10.0.0.0/+8', 'invalid CIDR in trusted CIDRs: 10.0.0.0/+8'],
    ['10.0.0.0/8/8', 'invalid CIDR in trusted CIDRs: 10.0.0.0/8/8'],
    ['10.0.0.0 /8', 'invalid CIDR in trusted CIDRs: 10.0.0.0 /8'],
    ['10.0.0.0/ 8', 'invalid CIDR in trusted CIDRs: 10.0.0.0/ 8'],
    ['10.0.0.0/0x8', 'invalid CIDR in trusted CIDRs: 10.0.0.0/0x8'],
    ['10.0.0.0/99999999999999999999', 'invalid CIDR in trusted CIDRs: 10.0.0.0/99999999999999999999'],
    ['fe80::%eth0/64', 'invalid CIDR in trusted CIDRs: fe80::%eth0/64'],
    ['::ffff:10.0.0.0/129', 'invalid CIDR in trusted CIDRs: ::ffff:10.0.0.0/129'],
    ['host/8', 'invalid CIDR in trusted CIDRs: host/8'],
    ['10.0.0.0/8, 192.168.0.0/33', 'invalid CIDR in trusted CIDRs: 192.168.0.0/33'],
  ])('rejects %j', (spec, message) => {
    const error = parseError(spec);
    expect(error.message).toBe(message);
    expect(error.code).toBe('ERR_TRUSTED_CIDRS');
    expect(error).toBeInstanceOf(Error);
  });
});

describe('TrustedCidrs#isTrusted', () => {
  it('matches IPv4 addresses against IPv4 ranges, bit for bit', () => {
    const cidrs = parseTrustedCidrs('10.0.0.0/8,192.168.1.128/25');
    expect(cidrs.isTrusted('10.0.0.0')).toBe(true);
    expect(cidrs.isTrusted('10.255.255.255')).toBe(true);
    expect(cidrs.isTrusted('11.0.0.0')).toBe(false);
    expect(cidrs.isTrusted('9.255.255.255')).toBe(false);
    expect(cidrs.isTrusted('192.168.1.128')).toBe(true);
    expect(cidrs.isTrusted('192.168.1.255')).toBe(true);
    expect(cidrs.isTrusted('192.168.1.127')).toBe(false);
    expect(cidrs.isTrusted('192.168.2.200')).toBe(false);
  });

  it('matches IPv4-mapped IPv6 peers against IPv4 ranges', () => {
    const cidrs = parseTrustedCidrs('127.0.0.0/8');
    expect(cidrs.isTrusted('::ffff:127.0.0.1')).toBe(true);
    expect(cidrs.isTrusted('::FFFF:127.1.2.3')).toBe(true);
    expect(cidrs.isTrusted('::ffff:7f00:1')).toBe(true);
    expect(cidrs.isTrusted('0:0:0:0:0:ffff:127.0.0.1')).toBe(true);
    expect(cidrs.isTrusted('::ffff:128.0.0.1')).toBe(false);
    // Only ::ffff: maps IPv4; the deprecated IPv4-compatible form is a plain IPv6 address.
    expect(cidrs.isTrusted('::127.0.0.1')).toBe(false);
  });

  it('matches IPv6 addresses against IPv6 ranges only', () => {
    const cidrs = parseTrustedCidrs('2001:db8::/32,::1');
    expect(cidrs.isTrusted('2001:db8::1')).toBe(true);
    expect(cidrs.isTrusted('2001:DB8:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(true);
    expect(cidrs.isTrusted('2001:db9::1')).toBe(false);
    expect(cidrs.isTrusted('2001:db7:ffff::1')).toBe(false);
    expect(cidrs.isTrusted('::1')).toBe(true);
    expect(cidrs.isTrusted('0:0:0:0:0:0:0:1')).toBe(true);
    expect(cidrs.isTrusted('::2')).toBe(false);
    expect(cidrs.isTrusted('127.0.0.1')).toBe(false);
    expect(cidrs.isTrusted('::ffff:127.0.0.1')).toBe(false);
  });

  it('matches prefixes that end inside a 16-bit group', () => {
    const cidrs = parseTrustedCidrs('2001:db8:abcd:12f0::/60');
    expect(cidrs.isTrusted('2001:db8:abcd:12f0::')).toBe(true);
    expect(cidrs.isTrusted('2001:db8:abcd:12ff:ffff::1')).toBe(true);
    expect(cidrs.isTrusted('2001:db8:abcd:12ef::1')).toBe(false);
    expect(cidrs.isTrusted('2001:db8:abcd:1300::1')).toBe(false);
  });

  it('ignores the zone of a link-local peer', () => {
    const cidrs = parseTrustedCidrs('fe80::/64');
    expect(cidrs.isTrusted('fe80::1%eth0')).toBe(true);
    expect(cidrs.isTrusted('fe80:0:0:1::1%eth0')).toBe(false);
  });

  it('allows everything with 0.0.0.0/0,::/0', () => {
    const cidrs = parseTrustedCidrs('0.0.0.0/0,::/0');
    for (const address of ['0.0.0.0', '8.8.8.8', '255.255.255.255', '::', '::1', '2001:db8::1', 'ffff::']) {
      expect(cidrs.isTrusted(address)).toBe(true);
    }
    expect(cidrs.isTrusted('::ffff:203.0.113.9')).toBe(true);
  });

  it('keeps IPv4 peers out of ::/0 alone, as Go does', () => {
    const cidrs = parseTrustedCidrs('::/0');
    expect(cidrs.isTrusted('2001:db8::1')).toBe(true);
    expect(cidrs.isTrusted('203.0.113.9')).toBe(false);
    expect(cidrs.isTrusted('::ffff:203.0.113.9')).toBe(false);
  });

  it('trusts exactly the listed host for a bare IP', () => {
    const cidrs = parseTrustedCidrs('127.0.0.1');
    expect(cidrs.isTrusted('127.0.0.1')).toBe(true);
    expect(cidrs.isTrusted('::ffff:127.0.0.1')).toBe(true);
    expect(cidrs.isTrusted('127.0.0.2')).toBe(false);
    expect(cidrs.isTrusted('::ffff:127.0.0.2')).toBe(false);
    expect(cidrs.isTrusted('::1')).toBe(false);
  });

  it('treats a mapped bare IP as the IPv4 host', () => {
    const cidrs = parseTrustedCidrs('::ffff:192.0.2.1');
    expect(cidrs.isTrusted('192.0.2.1')).toBe(true);
    expect(cidrs.isTrusted('::ffff:192.0.2.1')).toBe(true);
    expect(cidrs.isTrusted('192.0.2.2')).toBe(false);
  });

  it.each(['', 'localhost', '10.0.0.1:8080', '[::1]', '10.0.0.999', '1.2.3.4/32', 'undefined'])(
    'does not trust the unparsable peer %j',
    (address) => {
      expect(parseTrustedCidrs('0.0.0.0/0,::/0').isTrusted(address)).toBe(false);
    },
  );
});

describe('TrustedCidrs#describe', () => {
  it('returns a fresh copy each time', () => {
    const cidrs = parseTrustedCidrs('10.0.0.0/8');
    const first = cidrs.describe();
    first.push('0.0.0.0/0');
    expect(cidrs.describe()).toEqual(['10.0.0.0/8']);
    expect(cidrs.isTrusted('8.8.8.8')).toBe(false);
  });
});

describe('defaultTrustedCidrs', () => {
  it('is loopback plus every interface network, without duplicates', () => {
    const cidrs = defaultTrustedCidrs({
      lo: [iface('127.0.0.1/8', 'IPv4'), iface('::1/128', 'IPv6')],
      eth0: [iface('192.168.1.23/24', 'IPv4'), iface('fe80::a00:27ff:fe4e:66a1/64', 'IPv6')],
      wlan0: [iface('10.20.30.40/16', 'IPv4'), iface(null, 'IPv4')],
      docker0: undefined,
    });
    expect(cidrs.describe()).toEqual([
      '127.0.0.0/8',
      '::1/128',
      '192.168.1.0/24',
      'fe80::/64',
      '10.20.0.0/16',
    ]);
    expect(cidrs.isTrusted('127.0.0.5')).toBe(true);
    expect(cidrs.isTrusted('::ffff:127.0.0.1')).toBe(true);
    expect(cidrs.isTrusted('::1')).toBe(true);
    expect(cidrs.isTrusted('192.168.1.200')).toBe(true);
    expect(cidrs.isTrusted('192.168.2.1')).toBe(false);
    expect(cidrs.isTrusted('10.20.255.1')).toBe(true);
    expect(cidrs.isTrusted('fe80::1')).toBe(true);
    expect(cidrs.isTrusted('8.8.8.8')).toBe(false);
    expect(cidrs.isTrusted('2001:db8::1')).toBe(false);
  });

  it('skips an interface entry that does not parse instead of failing', () => {
    const cidrs = defaultTrustedCidrs({
      odd: [iface('not-an-ip/24', 'IPv4'), iface('fe80::1%eth0/64', 'IPv6')],
    });
    expect(cidrs.describe()).toEqual(['127.0.0.0/8', '::1/128', 'fe80::/64']);
  });

  it('reads the real interfaces by default', () => {
    const cidrs = defaultTrustedCidrs();
    expect(cidrs.describe().slice(0, 2)).toEqual(['127.0.0.0/8', '::1/128']);
    expect(cidrs.isTrusted('127.0.0.1')).toBe(true);
    for (const infos of Object.values(networkInterfaces())) {
      for (const info of infos ?? []) expect(cidrs.isTrusted(info.address)).toBe(true);
    }
  });
});

describe('trustedCidrsFromEnv', () => {
  it.each([undefined, '', '   ', '\t\n'])('uses the defaults for %j', (value) => {
    const cidrs = trustedCidrsFromEnv(value);
    expect(cidrs.describe()).toEqual(defaultTrustedCidrs().describe());
  });

  it('parses a set value', () => {
    const cidrs = trustedCidrsFromEnv(' 127.0.0.1 ');
    expect(cidrs.describe()).toEqual(['127.0.0.1/32']);
    expect(cidrs.isTrusted('127.0.0.2')).toBe(false);
  });

  it('throws on an invalid value', () => {
    expect(() => trustedCidrsFromEnv('10.0.0.0/8,')).toThrow(
      new TrustedCidrsError('invalid IP in trusted CIDRs: '),
    );
  });
});
