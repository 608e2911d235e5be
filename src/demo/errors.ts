import { MtlsProxyError } from '../errors.js';

/** A step of `mtls-proxy demo` that did not go as shown; the message names the step. */
export class DemoError extends MtlsProxyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_DEMO', message, options);
  }
}
