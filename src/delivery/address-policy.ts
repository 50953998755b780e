import { CidrSet, normalizeAddress } from '../net/cidr.js';

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

export interface AddressPolicy {
  check(address: string): AddressVerdict;
}

export interface AddressPolicyOptions {
  /** CIDRs exempt from the block (DELIVERY_ALLOW_CIDRS), e.g. `127.0.0.0/8` for a tracker on the same host. */
  allowCidrs: readonly string[];
}

/**
 * Ranges a postback must never reach by default: anything that is not a
 * public unicast host, because a template URL is user input and the relay
 * would otherwise be an SSRF proxy into its own network or cloud metadata.
 * More specific classes come first so the reason names the narrowest one.
 * IPv4-mapped IPv6 (::ffff:0:0/96) needs no entry: BlockList matches it against the IPv4 rules.
 */
const BLOCKED_CLASSES: ReadonlyArray<{ label: string; cidrs: string[] }> = [
  { label: 'unspecified', cidrs: ['::/128'] },
  { label: 'loopback', cidrs: ['127.0.0.0/8', '::1/128'] },
  { label: 'this-network', cidrs: ['0.0.0.0/8'] },
  { label: 'private', cidrs: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] },
  { label: 'shared/CGNAT', cidrs: ['100.64.0.0/10'] },
  { label: 'link-local/metadata', cidrs: ['169.254.0.0/16'] },
  { label: 'IETF protocol assignments', cidrs: ['192.0.0.0/24', '2001::/23'] },
  { label: 'documentation', cidrs: ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32'] },
  { label: 'benchmarking', cidrs: ['198.18.0.0/15'] },
  { label: 'multicast', cidrs: ['224.0.0.0/4', 'ff00::/8'] },
  { label: 'reserved', cidrs: ['240.0.0.0/4'] },
  // Deprecated IPv4-compatible form (::a.b.c.d); no legitimate tracker lives there.
  { label: 'IPv4-compatible', cidrs: ['::/96'] },
  { label: 'NAT64', cidrs: ['64:ff9b::/96'] },
  { label: 'discard-only', cidrs: ['100::/64'] },
  // Includes AWS's IPv6 metadata endpoint fd00:ec2::254.
  { label: 'unique-local', cidrs: ['fc00::/7'] },
  { label: 'link-local', cidrs: ['fe80::/10'] },
];

export function createAddressPolicy(options: AddressPolicyOptions): AddressPolicy {
  const allowed = new CidrSet(options.allowCidrs);
  const blocked = BLOCKED_CLASSES.map(({ label, cidrs }) => ({ label, set: new CidrSet(cidrs) }));

  return {
    check(address: string): AddressVerdict {
      const normalized = normalizeAddress(address);
      // Fail closed: anything that is not an IP literal cannot be proven safe.
      if (!normalized) return { allowed: false, reason: `blocked address ${address} (not an IP address)` };
      if (allowed.size > 0 && allowed.has(normalized.address)) return { allowed: true };
      for (const { label, set } of blocked) {
        if (set.has(normalized.address)) {
          return { allowed: false, reason: `blocked address ${address} (${label})` };
        }
      }
      return { allowed: true };
    },
  };
}
