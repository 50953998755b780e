import { describe, expect, it } from 'vitest';
import { checkAccountTemplates } from '../../../src/admin/account-check.js';
import { createAddressPolicy } from '../../../src/delivery/address-policy.js';

const strict = { addressPolicy: createAddressPolicy({ allowCidrs: [] }) };

describe('account check: templates aimed at blocked literal addresses', () => {
  it('rejects a literal blocked host, naming the path, the address and its class', () => {
    const { errors } = checkAccountTemplates(
      {
        postback: {
          url: 'http://10.0.0.5/pb?cid={click_id}',
          events: { lead: ['https://t.example/?cid={click_id}', 'http://169.254.169.254/latest?c={cid}'] },
        },
      },
      strict,
    );
    expect(errors).toEqual([
      { path: 'postback.url', message: 'blocked address 10.0.0.5 (private): deliveries there are refused' },
      {
        path: 'postback.events.lead.1',
        message: 'blocked address 169.254.169.254 (link-local/metadata): deliveries there are refused',
      },
    ]);
  });

  it.each([
    ['loopback', 'http://127.0.0.1:8080/pb?c={click_id}', '127.0.0.1'],
    ['shorthand loopback', 'http://127.1/pb?c={click_id}', '127.0.0.1'],
    ['decimal loopback', 'http://2130706433/pb?c={click_id}', '127.0.0.1'],
    ['hex private', 'http://0x0a.0.0.1/pb?c={click_id}', '10.0.0.1'],
    ['IPv6 loopback', 'http://[::1]/pb?c={click_id}', '::1'],
    ['IPv4-mapped IPv6', 'http://[::ffff:192.168.1.1]/pb?c={click_id}', '::ffff:c0a8:101'],
    ['unique-local', 'https://[fd00:ec2::254]/pb?c={click_id}', 'fd00:ec2::254'],
    ['CGNAT', 'http://100.64.1.1/pb?c={click_id}', '100.64.1.1'],
    ['multicast', 'http://224.0.0.1/pb?c={click_id}', '224.0.0.1'],
    ['unspecified', 'http://0.0.0.0/pb?c={click_id}', '0.0.0.0'],
  ])('rejects %s', (_label, url, address) => {
    const { errors } = checkAccountTemplates({ offers: { '7': { url } } }, strict);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('offers.7.url');
    expect(errors[0]!.message).toContain(`blocked address ${address} (`);
  });

  it('accepts public literals and hostnames (hostnames are not resolved when saving)', () => {
    const { errors } = checkAccountTemplates(
      {
        postback: {
          url: [
            'http://93.184.215.14/pb?c={click_id}',
            'http://localhost/pb?c={click_id}',
            'https://[2606:4700::1111]/?c={click_id}',
          ],
        },
      },
      strict,
    );
    expect(errors).toEqual([]);
  });

  it('honours DELIVERY_ALLOW_CIDRS', () => {
    const account = { postback: { url: 'http://10.1.2.3/pb?c={click_id}' } };
    expect(
      checkAccountTemplates(account, { addressPolicy: createAddressPolicy({ allowCidrs: ['10.1.0.0/16'] }) }).errors,
    ).toEqual([]);
    expect(
      checkAccountTemplates(account, { addressPolicy: createAddressPolicy({ allowCidrs: ['10.2.0.0/16'] }) }).errors,
    ).toHaveLength(1);
  });

  it('judges the host after macros are filled with sample values, and reports other problems first', () => {
    // A macro in the host cannot be judged now; the delivery guard checks the connected address.
    expect(checkAccountTemplates({ postback: { url: 'http://10.0.0.{sub1}/pb?c={click_id}' } }, strict).errors).toEqual([]);
    expect(checkAccountTemplates({ postback: { url: 'http://10.0.0.5/pb?c={clik_id}' } }, strict).errors).toEqual([
      { path: 'postback.url', message: 'unknown macro {clik_id}' },
    ]);
  });
});
