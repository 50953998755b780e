import { describe, expect, it } from 'vitest';
import { createAddressPolicy } from '../../../src/delivery/address-policy.js';

const blocked: Array<[address: string, label: string]> = [
  ['0.0.0.0', 'this-network'],
  ['0.1.2.3', 'this-network'],
  ['10.0.0.5', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['100.64.0.1', 'shared/CGNAT'],
  ['100.127.255.254', 'shared/CGNAT'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['169.254.169.254', 'link-local/metadata'],
  ['169.254.0.1', 'link-local/metadata'],
  ['192.0.0.8', 'IETF protocol assignments'],
  ['192.0.2.10', 'documentation'],
  ['198.51.100.7', 'documentation'],
  ['203.0.113.99', 'documentation'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.255', 'benchmarking'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'reserved'],
  ['255.255.255.255', 'reserved'],
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['0:0:0:0:0:ffff:7f00:1', 'loopback'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:169.254.169.254', 'link-local/metadata'],
  ['::7f00:1', 'IPv4-compatible'],
  ['64:ff9b::a00:1', 'NAT64'],
  ['100::1', 'discard-only'],
  ['2001:db8::1', 'documentation'],
  ['fc00::1', 'unique-local'],
  ['fd00:ec2::254', 'unique-local'],
  ['fe80::1', 'link-local'],
  ['febf:ffff::1', 'link-local'],
  ['ff02::1', 'multicast'],
  ['2001::1', 'IETF protocol assignments'],
  ['2001:1ff::1', 'IETF protocol assignments'],
];

const allowed = [
  '8.8.8.8',
  '1.1.1.1',
  '93.184.216.34',
  '172.15.255.255',
  '172.32.0.1',
  '100.63.255.255',
  '100.128.0.1',
  '192.0.1.1',
  '198.20.0.1',
  '223.255.255.255',
  '::ffff:8.8.8.8',
  '2606:4700::1111',
  '2a00:1450:4001:82a::200e',
  '2001:200::1',
];

describe('createAddressPolicy with no exemptions', () => {
  const policy = createAddressPolicy({ allowCidrs: [] });

  it.each(blocked)('blocks %s (%s)', (address, label) => {
    expect(policy.check(address)).toEqual({ allowed: false, reason: `blocked address ${address} (${label})` });
  });

  it.each(allowed)('allows public %s', (address) => {
    expect(policy.check(address)).toEqual({ allowed: true });
  });

  it('refuses anything that is not an IP address', () => {
    expect(policy.check('localhost')).toEqual({ allowed: false, reason: 'blocked address localhost (not an IP address)' });
    expect(policy.check('')).toMatchObject({ allowed: false });
    expect(policy.check('10.0.0.256')).toMatchObject({ allowed: false });
  });
});

describe('createAddressPolicy with allowCidrs', () => {
  const policy = createAddressPolicy({ allowCidrs: ['127.0.0.0/8'] });

  it('exempts the listed range, also in IPv4-mapped form', () => {
    expect(policy.check('127.0.0.1')).toEqual({ allowed: true });
    expect(policy.check('127.8.9.10')).toEqual({ allowed: true });
    expect(policy.check('::ffff:127.0.0.1')).toEqual({ allowed: true });
    expect(policy.check('::ffff:7f00:1')).toEqual({ allowed: true });
  });

  it('keeps blocking everything else', () => {
    expect(policy.check('::1')).toMatchObject({ allowed: false });
    expect(policy.check('10.0.0.1')).toMatchObject({ allowed: false });
    expect(policy.check('169.254.169.254')).toMatchObject({ allowed: false });
  });

  it('can exempt a single host of a blocked class', () => {
    const single = createAddressPolicy({ allowCidrs: ['10.1.2.3', 'fd00::/8'] });
    expect(single.check('10.1.2.3')).toEqual({ allowed: true });
    expect(single.check('10.1.2.4')).toMatchObject({ allowed: false });
    expect(single.check('fd00:ec2::254')).toEqual({ allowed: true });
    expect(single.check('fc00::1')).toMatchObject({ allowed: false });
  });

  it('throws on a malformed CIDR', () => {
    expect(() => createAddressPolicy({ allowCidrs: ['10.0.0.0/33'] })).toThrow(TypeError);
    expect(() => createAddressPolicy({ allowCidrs: ['nope'] })).toThrow(/nope/);
  });
});
