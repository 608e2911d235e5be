import type { AdminEndpoint } from './endpoint.js';

/** The proxy's CA in PEM, for clients to trust. */
export const caCertEndpoint: AdminEndpoint = {
  summary: "the proxy's CA certificate (PEM), for clients to trust",
  open: true,
  answer: (ctx) => ({
    contentType: 'application/x-pem-file',
    body: ctx.ca.certPem,
    headers: { 'content-disposition': 'attachment; filename="mtls-proxy-ca.crt"' },
  }),
};
