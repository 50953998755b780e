/** Who sends conversions in. The key itself is never stored, only its SHA-256. */
export interface SourceConfig {
  key_sha256: string;
  ip_allow: string[];
  /** Extra inbound parameter names per canonical field, tried before the defaults. */
  params: Record<string, string[]>;
  default_account?: string;
  /** An inbound network preset (`GET /v1/networks`): that network's parameter names and statuses. */
  network?: string;
  /**
   * The accounts this source may reach besides its default (`["*"]`: any).
   * Unset: any, as before the list existed; the API warns about it.
   */
  accounts?: string[];
  /** Conversions must carry a transaction id issued by this relay's tracking links; others are unattributed. */
  require_click?: boolean;
}

/** Why a conversion is kept and not delivered when its source may not reach its account. */
export const ACCOUNT_NOT_ALLOWED = 'account_not_allowed';

/**
 * Whether a source may have its conversions delivered to `account`. A
 * network's postback names the account itself (`account=`), so without this
 * any source could ping another account's tracker.
 */
export function sourceMayReach(source: Pick<SourceConfig, 'accounts' | 'default_account'>, account: string): boolean {
  if (source.accounts === undefined || source.accounts.includes('*')) return true;
  return account === source.default_account || source.accounts.includes(account);
}
