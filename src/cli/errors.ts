import { configErrorsOf, MtlsProxyError } from '../errors.js';
import { UsageError } from './args.js';

/** Exit code and `error:` lines for any failure; the stack only with --debug. */
export function reportError(err: unknown, debug: boolean): number {
  const configErrors = configErrorsOf(err);
  if (configErrors.length > 0) {
    for (const e of configErrors) process.stderr.write(`error: ${e.message}\n`);
  } else if (err instanceof UsageError) {
    process.stderr.write(`error: ${err.message}\nRun "mtls-proxy --help" for usage.\n`);
  } else if (err instanceof MtlsProxyError) {
    process.stderr.write(`error: ${err.message}\n`);
  } else {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`error: ${message}\n`);
  }
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return configErrors.length > 0 || err instanceof UsageError || isConfigCode(err) ? 2 : 1;
}

function isConfigCode(err: unknown): boolean {
  return err instanceof MtlsProxyError && (err.code.startsWith('ERR_CONFIG') || err.code.startsWith('ERR_CA_'));
}
