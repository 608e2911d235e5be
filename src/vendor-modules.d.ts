/**
 * Single modules of packages, imported instead of their index, which loads much the
 * proxy never uses: undici's index also brings fetch, WebSocket and caches (about
 * 9 MiB of RSS), node-forge's its X.509 and PKCS#12 code (about 8 MiB).
 */
declare module 'undici/lib/dispatcher/pool.js' {
  import type { Pool } from 'undici';
  const PoolClass: typeof Pool;
  export default PoolClass;
}

declare module 'node-forge/lib/asn1.js' {
  import type forge from 'node-forge';
  const asn1: typeof forge.asn1;
  export default asn1;
}
