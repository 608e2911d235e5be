import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProxyContext } from '../proxy/context.js';

/** What the proxy's own pages read: the context in force when they are asked. */
export type AdminContext = Pick<ProxyContext, 'access' | 'ca' | 'cluster' | 'config' | 'feed' | 'matcher' | 'metrics' | 'routes' | 'store'>;

/** A page's answer; the router adds the length, HEAD handling and the 401. */
export interface AdminResponse {
  /** 200 unless set. */
  readonly status?: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

interface AdminPage {
  /** One line for the console's list of pages. */
  readonly summary: string;
  /** Open to anyone who reaches the port, or behind listen.auth's credentials. */
  readonly open: boolean;
}

/** A page answered in one piece. */
export interface AdminEndpoint extends AdminPage {
  answer(ctx: AdminContext, req: IncomingMessage): AdminResponse | Promise<AdminResponse>;
}

/** A page that keeps writing (server-sent events) until the client leaves. */
export interface AdminStream extends AdminPage {
  stream(ctx: AdminContext, req: IncomingMessage, res: ServerResponse): void;
}
