/** Who sends conversions in. The key itself is never stored, only its SHA-256. */
export interface SourceConfig {
  key_sha256: string;
  ip_allow: string[];
  /** Extra inbound parameter names per canonical field, tried before the defaults. */
  params: Record<string, string[]>;
  default_account?: string;
  /** An inbound network preset (`GET /v1/networks`): that network's parameter names and statuses. */
  network?: string;
  /** Conversions must carry a transaction id issued by this relay's tracking links; others are unattributed. */
  require_click?: boolean;
}
