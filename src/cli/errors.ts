import { configErrorsOf, MtlsProxyError } from '../errors.js';
import { UsageError } from './args.js';

/** Every line starts with `error:`, so scripts and people can grep for it. */
function writeError(message: string): void {
  for (const line of message.split('\n')) process.stderr.write(`error: ${line}\n`);
}

/** Exit code and `error:` lines for any failure; the stack only with --debug. */
export function reportError(err: unknown, debug: boolean): number {
  const configErrors = configErrorsOf(err);
  if (configErrors.length > 0) {
    for (const e of configErrors) writeError(e.message);
  } else if (err instanceof UsageError) {
    writeError(err.message);
    process.stderr.write('Run "mtls-proxy --help" for usage.\n');
  } else {
    writeError(err instanceof Error ? err.message : String(err));
    // Not a mistake of the user's: whoever reports it will want to know where it happened.
    if (!debug && !(err instanceof MtlsProxyError)) process.stderr.write('Run again with --debug to see where it happened.\n');
  }
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return configErrors.length > 0 || err instanceof UsageError || isConfigCode(err) ? 2 : 1;
}

function isConfigCode(err: unknown): boolean {
  return err instanceof MtlsProxyError && (err.code.startsWith('ERR_CONFIG') || err.code.startsWith('ERR_CA_'));
}
