/** `trust` and `untrust`: one line per chosen store, success only when every one of them succeeded. */
import type { CertificateAuthority } from '../../tls/ca.js';
import { chooseStores, trustedCa, type StoreSelection } from './choose.js';
import { applyToStore, type TrustAction } from './store.js';

export interface TrustReport {
  readonly ok: boolean;
  /** In order; lines starting with `error:` belong on stderr. */
  readonly lines: string[];
}

export async function changeTrust(ca: CertificateAuthority, action: TrustAction, selection: StoreSelection, dryRun: boolean): Promise<TrustReport> {
  const { stores, missing } = await chooseStores(trustedCa(ca), selection);
  if (stores.length === 0 && missing.length === 0) {
    return { ok: false, lines: ['error: no trust store found on this machine; name one with --system, --nss DIR or --java'] };
  }
  const lines = [...missing];
  let ok = missing.length === 0;
  // One after the other: two stores may share a tool that does not like being run twice at once.
  for (const store of stores) {
    const outcome = await applyToStore(store, action, dryRun);
    lines.push(outcome.line);
    ok &&= outcome.ok;
  }
  return { ok, lines };
}
