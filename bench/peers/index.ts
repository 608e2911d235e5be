import { direct } from './direct.js';
import { httpMitmProxy } from './http-mitm-proxy.js';
import { mitmproxy } from './mitmproxy.js';
import { mtlsProxy } from './mtls-proxy.js';
import { tunnel } from './tunnel.js';
import type { PeerDefinition } from './types.js';

/** Column order of the table; DIRECT first, the ratios' denominator. */
export const PEERS: readonly PeerDefinition[] = [direct, tunnel, mitmproxy, httpMitmProxy, mtlsProxy];
