import { describe, expect, it } from 'vitest';
import { createAddressPolicy } from '../../../src/delivery/address-policy.js';

/**
 * One row per special-purpose range: an address inside it that must be
 * refused (and the reason given), and a nearby public address that must not.
 */
const ranges: Array<{ range: string; refused: string; reason: string; allowed: string }> = [
  // IPv4 special-purpose registry
  { range: '0.0.0.0/8 this network', refused: '0.1.2.3', reason: 'unspecified', allowed: '1.0.0.1' },
  { range: '10.0.0.0/8 private', refused: '10.0.0.5', reason: 'private', allowed: '11.0.0.1' },
  { range: '100.64.0.0/10 shared CGNAT', refused: '100.127.255.254', reason: 'shared/CGNAT', allowed: '100.128.0.1' },
  { range: '127.0.0.0/8 loopback', refused: '127.255.255.254', reason: 'loopback', allowed: '128.0.0.1' },
  {
    range: '169.254.0.0/16 link-local (metadata)',
    refused: '169.254.169.254',
    reason: 'link-local/metadata',
    allowed: '169.255.0.1',
  },
  { range: '172.16.0.0/12 private', refused: '172.31.255.255', reason: 'private', allowed: '172.32.0.1' },
  { range: '192.0.0.0/24 IETF protocol assignments', refused: '192.0.0.8', reason: 'reserved', allowed: '192.0.1.1' },
  { range: '192.0.2.0/24 TEST-NET-1', refused: '192.0.2.10', reason: 'reserved', allowed: '192.0.3.1' },
  { range: '192.31.196.0/24 AS112', refused: '192.31.196.1', reason: 'AS112 anycast', allowed: '192.31.197.1' },
  { range: '192.52.193.0/24 AMT', refused: '192.52.193.1', reason: 'AMT anycast', allowed: '192.52.194.1' },
  { range: '192.88.99.0/24 6to4 relay anycast', refused: '192.88.99.1', reason: 'reserved', allowed: '192.88.100.1' },
  { range: '192.168.0.0/16 private', refused: '192.168.1.1', reason: 'private', allowed: '192.169.0.1' },
  { range: '192.175.48.0/24 AS112', refused: '192.175.48.1', reason: 'AS112 anycast', allowed: '192.175.49.1' },
  { range: '198.18.0.0/15 benchmarking', refused: '198.19.255.255', reason: 'reserved', allowed: '198.20.0.1' },
  { range: '198.51.100.0/24 TEST-NET-2', refused: '198.51.100.7', reason: 'reserved', allowed: '198.51.101.1' },
  { range: '203.0.113.0/24 TEST-NET-3', refused: '203.0.113.99', reason: 'reserved', allowed: '203.0.114.1' },
  { range: '224.0.0.0/4 multicast', refused: '239.255.255.250', reason: 'multicast', allowed: '223.255.255.254' },
  { range: '240.0.0.0/4 reserved', refused: '240.0.0.1', reason: 'reserved', allowed: '223.1.1.1' },
  { range: '255.255.255.255/32 broadcast', refused: '255.255.255.255', reason: 'broadcast', allowed: '223.255.255.253' },
  // IPv6 outside 2000::/3
  { range: '::/128 unspecified', refused: '::', reason: 'unspecified', allowed: '2606:4700::1111' },
  { range: '::1/128 loopback', refused: '::1', reason: 'loopback', allowed: '2606:4700::1' },
  {
    range: '::/96 IPv4-compatible (deprecated)',
    refused: '::7f00:1',
    reason: 'outside global unicast 2000::/3',
    allowed: '2606:4700::7f00:1',
  },
  { range: '100::/64 discard-only', refused: '100::1', reason: 'discard-only', allowed: '2606:4700:100::1' },
  { range: '4000::/3 unassigned', refused: '4000::1', reason: 'outside global unicast 2000::/3', allowed: '3ffe::1' },
  { range: '5f00::/16 segment routing', refused: '5f00::1', reason: 'segment routing SIDs', allowed: '2a00:1450:4001:82a::200e' },
  {
    range: 'fc00::/7 unique-local (AWS metadata fd00:ec2::254)',
    refused: 'fd00:ec2::254',
    reason: 'unique-local',
    allowed: '2600:1f18::254',
  },
  { range: 'fe80::/10 link-local', refused: 'febf:ffff::1', reason: 'link-local/metadata', allowed: '2a00:1450::1' },
  { range: 'fe80::/10 link-local with a zone', refused: 'fe80::1%eth0', reason: 'link-local/metadata', allowed: '2a00:1450::2' },
  { range: 'fec0::/10 site-local (deprecated)', refused: 'fec0::1', reason: 'site-local (deprecated)', allowed: '2a00:1450::3' },
  { range: 'ff00::/8 multicast', refused: 'ff02::1', reason: 'multicast', allowed: '2a00:1450::4' },
  // IPv6 special ranges inside 2000::/3
  { range: '2001::/23 IETF protocol assignments', refused: '2001:1ff::1', reason: 'reserved', allowed: '2001:200::1' },
  { range: '2001:2::/48 benchmarking', refused: '2001:2::1', reason: 'benchmarking', allowed: '2001:200::2' },
  { range: '2001:3::/32 AMT', refused: '2001:3::1', reason: 'AMT anycast', allowed: '2001:200::3' },
  { range: '2001:4:112::/48 AS112', refused: '2001:4:112::1', reason: 'AS112 anycast', allowed: '2001:200::4' },
  { range: '2001:10::/28 ORCHID (deprecated)', refused: '2001:10::1', reason: 'ORCHID (deprecated)', allowed: '2001:200::5' },
  { range: '2001:20::/28 ORCHIDv2', refused: '2001:20::1', reason: 'ORCHIDv2', allowed: '2001:200::6' },
  { range: '2001:30::/28 DRIP', refused: '2001:30::1', reason: 'DRIP entity tags', allowed: '2001:200::7' },
  { range: '2001:db8::/32 documentation', refused: '2001:db8::1', reason: 'reserved', allowed: '2001:dc8::1' },
  { range: '2620:4f:8000::/48 AS112', refused: '2620:4f:8000::1', reason: 'AS112 anycast', allowed: '2620:4f:8001::1' },
  { range: '3fff::/20 documentation', refused: '3fff::1', reason: 'reserved', allowed: '3ffe:ffff::1' },
  // IPv6 forms that carry an IPv4 address: judged by that IPv4
  {
    range: '::ffff:0:0/96 IPv4-mapped',
    refused: '::ffff:127.0.0.1',
    reason: 'IPv4-mapped 127.0.0.1: loopback',
    allowed: '::ffff:8.8.8.8',
  },
  {
    range: '::ffff:0:0/96 IPv4-mapped, hex',
    refused: '::ffff:a9fe:a9fe',
    reason: 'IPv4-mapped 169.254.169.254: link-local/metadata',
    allowed: '::ffff:808:808',
  },
  {
    range: '::ffff:0:0:0/96 IPv4-translated',
    refused: '::ffff:0:a00:1',
    reason: 'IPv4-translated 10.0.0.1: private',
    allowed: '::ffff:0:808:808',
  },
  {
    range: '64:ff9b::/96 NAT64',
    refused: '64:ff9b::a9fe:a9fe',
    reason: 'NAT64 169.254.169.254: link-local/metadata',
    allowed: '64:ff9b::808:808',
  },
  {
    range: '64:ff9b:1::/48 NAT64 local-use',
    refused: '64:ff9b:1::a00:1',
    reason: 'NAT64 10.0.0.1: private',
    allowed: '64:ff9b:1::101:101',
  },
  {
    range: '64:ff9b:1::/48 NAT64 local-use, not /96',
    refused: '64:ff9b:1:1::808:808',
    reason: 'NAT64 local-use prefix not in the /96 layout',
    allowed: '64:ff9b:1::808:808',
  },
  { range: '2002::/16 6to4', refused: '2002:c0a8:101::1', reason: '6to4 192.168.1.1: private', allowed: '2002:808:808::1' },
  { range: '2002::/16 6to4 loopback', refused: '2002:7f00:1::', reason: '6to4 127.0.0.1: loopback', allowed: '2002:101:101::' },
  // Teredo: 2001:0:<server>:<flags>:<port>:<client XOR ffffffff>
  {
    range: '2001::/32 Teredo client',
    refused: '2001:0:808:808:0:0:f5ff:fffe',
    reason: 'Teredo client 10.0.0.1: private',
    allowed: '2001:0:808:808::f7f7:f7f7',
  },
  {
    range: '2001::/32 Teredo server',
    refused: '2001:0:a9fe:a9fe::f7f7:f7f7',
    reason: 'Teredo server 169.254.169.254: link-local/metadata',
    allowed: '2001:0:101:101::f7f7:f7f7',
  },
];

describe('createAddressPolicy with no exemptions', () => {
  const policy = createAddressPolicy({ allowCidrs: [] });

  it.each(ranges)('$range: refuses $refused', ({ refused, reason }) => {
    expect(policy.check(refused)).toEqual({ allowed: false, reason: `blocked address ${refused} (${reason})` });
  });

  it.each(ranges)('$range: allows the public $allowed', ({ allowed }) => {
    expect(policy.check(allowed)).toEqual({ allowed: true });
  });

  // Issue 12 item 6: each of these was let through by the hand-written list.
  it.each([
    ['fec0::1', 'site-local (deprecated)'],
    ['3fff:0:1::1', 'reserved'],
    ['5f00:1::1', 'segment routing SIDs'],
    ['64:ff9b:1::7f00:1', 'NAT64 127.0.0.1: loopback'],
    ['2002:a00:1::1', '6to4 10.0.0.1: private'],
    ['::ffff:0:7f00:1', 'IPv4-translated 127.0.0.1: loopback'],
  ])('refuses %s from issue 12', (address, reason) => {
    expect(policy.check(address)).toEqual({ allowed: false, reason: `blocked address ${address} (${reason})` });
  });

  it('refuses anything that is not a plain IP address', () => {
    expect(policy.check('localhost')).toEqual({ allowed: false, reason: 'blocked address localhost (not an IP address)' });
    expect(policy.check('')).toMatchObject({ allowed: false });
    expect(policy.check('10.0.0.256')).toMatchObject({ allowed: false });
    // inet_aton spellings of 127.0.0.1 that ipaddr.js alone would accept
    expect(policy.check('0x7f.1')).toMatchObject({ allowed: false });
    expect(policy.check('2130706433')).toMatchObject({ allowed: false });
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
    // A 6to4 address is a different host (a relay), not the exempt IPv4 itself.
    expect(policy.check('2002:7f00:1::')).toMatchObject({ allowed: false });
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
