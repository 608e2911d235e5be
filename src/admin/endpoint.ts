import type { IncomingMessage } from 'node:http';
import type { ProxyContext } from '../proxy/context.js';

/** What the proxy's own pages read: the context in force when they are asked. */
export type AdminContext = Pick<ProxyContext, 'access' | 'ca' | 'matcher' | 'metrics'>;

/** A page's answer; the router adds the length, HEAD handling and the 401. */
export interface AdminResponse {
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface AdminEndpoint {
  /** One line for the index page. */
  readonly summary: string;
  /** Open to anyone who reaches the port, or behind listen.auth's credentials. */
  readonly open: boolean;
  answer(ctx: AdminContext, req: IncomingMessage): AdminResponse | Promise<AdminResponse>;
}
