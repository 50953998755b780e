import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { CidrSet } from '../net/cidr.js';

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

export interface AddressPolicy {
  check(address: string): AddressVerdict;
}

export interface AddressPolicyOptions {
  /** CIDRs exempt from the block (DELIVERY_ALLOW_CIDRS), e.g. `127.0.0.0/8` for a tracker on the same host. */
  allowCidrs: readonly string[];
}

/**
 * Why an address is refused, or null when it is a public host. A template URL
 * is user input, so without this the relay would be an SSRF proxy into its
 * own network or cloud metadata.
 *
 * The special-purpose ranges come from ipaddr.js's `range()`, which tracks the
 * IANA IPv4 and IPv6 special-purpose registries, rather than a hand list that
 * silently ages (a hand list here missed fec0::/10, 3fff::/20 and 5f00::/16).
 * Rules on top of the library:
 * - IPv4: anything `range()` does not call `unicast` is refused (also the few
 *   special ranges IANA marks global, AMT and AS112 anycast: no tracker lives there).
 * - IPv6: only global unicast 2000::/3 can be a public host; inside it every
 *   special range is refused (documentation, 3fff::/20, the 2001::/23 protocol
 *   block, ORCHID, …), whatever IANA says of its reachability.
 * - IPv6 forms that carry an IPv4 address reach that IPv4 host in the end, so
 *   they are judged by it: mapped, translated, NAT64, 6to4 and Teredo (both
 *   the server and the client address).
 */
export function refusalReason(address: string): string | null {
  // node:net's parser first: ipaddr.js also accepts inet_aton forms (`0x7f.1`, `2130706433`)
  // that never come out of DNS or a socket, and anything unusual fails closed.
  if (isIP(address) === 0 || !ipaddr.isValid(address)) return 'not an IP address';
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return ipv4Refusal(parsed as ipaddr.IPv4);
  return ipv6Refusal(parsed as ipaddr.IPv6);
}

function ipv4Refusal(address: ipaddr.IPv4): string | null {
  const range = address.range();
  return range === 'unicast' ? null : labelOf(range);
}

function ipv6Refusal(address: ipaddr.IPv6): string | null {
  const embedded = embeddedIpv4(address);
  if (embedded) {
    for (const { role, ipv4 } of embedded.carried) {
      const refusal = ipv4Refusal(ipv4);
      if (refusal) return `${embedded.label} ${role}${ipv4.toString()}: ${refusal}`;
    }
    if (embedded.refusal) return embedded.refusal;
    return null;
  }
  const range: string = address.range();
  if (range !== 'unicast') return labelOf(range);
  if (!address.match(GLOBAL_UNICAST)) return 'outside global unicast 2000::/3';
  return null;
}

const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');

interface Embedded {
  label: string;
  carried: Array<{ role: string; ipv4: ipaddr.IPv4 }>;
  /** Refused even when every carried IPv4 is public. */
  refusal?: string;
}

/** The IPv4 address(es) an IPv6 address carries, by the form `range()` recognises. */
function embeddedIpv4(address: ipaddr.IPv6): Embedded | null {
  const p = address.parts;
  const ipv4At = (high: number, low: number): ipaddr.IPv4 => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  const range: string = address.range();
  switch (range) {
    case 'ipv4Mapped': // ::ffff:a.b.c.d
      return { label: 'IPv4-mapped', carried: [{ role: '', ipv4: ipv4At(p[6]!, p[7]!) }] };
    case 'rfc6145': // ::ffff:0:a.b.c.d
      return { label: 'IPv4-translated', carried: [{ role: '', ipv4: ipv4At(p[6]!, p[7]!) }] };
    case 'rfc6052': {
      // 64:ff9b::/96 carries the IPv4 in its last 32 bits. In the local-use 64:ff9b:1::/48
      // the operator picks the prefix length (RFC 6052 §2.2), so only the /96 layout can be
      // read without guessing; any other layout is refused rather than decoded wrongly.
      const carried = [{ role: '', ipv4: ipv4At(p[6]!, p[7]!) }];
      const is96 = p[3] === 0 && p[4] === 0 && p[5] === 0;
      return is96
        ? { label: 'NAT64', carried }
        : { label: 'NAT64', carried, refusal: 'NAT64 local-use prefix not in the /96 layout' };
    }
    case '6to4': // 2002:AABB:CCDD::/48 — the site's IPv4 in bits 16–47
      return { label: '6to4', carried: [{ role: '', ipv4: ipv4At(p[1]!, p[2]!) }] };
    case 'teredo': // 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC — server IPv4, then the client's inverted
      return {
        label: 'Teredo',
        carried: [
          { role: 'server ', ipv4: ipv4At(p[2]!, p[3]!) },
          { role: 'client ', ipv4: ipv4At(p[6]! ^ 0xffff, p[7]! ^ 0xffff) },
        ],
      };
    default:
      return null;
  }
}

/** Readable names for ipaddr.js's range names; a range a newer ipaddr.js adds shows under its own name. */
const LABELS: Record<string, string> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local/metadata',
  loopback: 'loopback',
  carrierGradeNat: 'shared/CGNAT',
  private: 'private',
  reserved: 'reserved',
  as112: 'AS112 anycast',
  amt: 'AMT anycast',
  uniqueLocal: 'unique-local',
  deprecatedSiteLocal: 'site-local (deprecated)',
  discard: 'discard-only',
  benchmarking: 'benchmarking',
  as112v6: 'AS112 anycast',
  deprecatedOrchid: 'ORCHID (deprecated)',
  orchid2: 'ORCHIDv2',
  droneRemoteIdProtocolEntityTags: 'DRIP entity tags',
  segmentRouting: 'segment routing SIDs',
};

function labelOf(range: string): string {
  return LABELS[range] ?? range;
}

export function createAddressPolicy(options: AddressPolicyOptions): AddressPolicy {
  const allowed = new CidrSet(options.allowCidrs);

  return {
    check(address: string): AddressVerdict {
      // CidrSet also matches the IPv4-mapped form of an exempt IPv4: the same host.
      if (allowed.size > 0 && allowed.has(address)) return { allowed: true };
      const reason = refusalReason(address);
      return reason === null ? { allowed: true } : { allowed: false, reason: `blocked address ${address} (${reason})` };
    },
  };
}
