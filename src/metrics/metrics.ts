import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CertificateStore } from '../certs/store.js';
import type { ClientCertificateRule } from '../config/types.js';

export type ConnectionSide = 'client' | 'upstream';
export type HandshakeResult = 'success' | 'failure';

/** The rules and certificates in force now: after a reload, the new ones. */
export interface CurrentCertificates {
  readonly rules: readonly ClientCertificateRule[];
  readonly store: Pick<CertificateStore, 'identity'>;
}

/** Where a value is `null` (no rule, no status sent), the label says `none`. */
const NONE = 'none';

/**
 * The contract's Prometheus metrics, one object for the life of the process so
 * that a config reload, which builds a new ProxyContext, loses no count.
 * Labels hold rule patterns, never a requested host name: their number stays
 * bounded by the config.
 */
export class ProxyMetrics {
  readonly #registry = new Registry();
  readonly #duration: Histogram;
  readonly #handshakes: Counter<'rule' | 'result'>;
  readonly #errors: Counter<'type'>;
  readonly #open: Record<ConnectionSide, Gauge.Internal<string>>;
  /**
   * Requests by rule, then status, as plain numbers handed to prom-client when
   * scraped: two Map lookups on the request path, where prom-client's labelled
   * children validate and hash their labels on every increment.
   */
  readonly #requestCounts = new Map<string | null, Map<number | null, number>>();

  constructor(current: () => CurrentCertificates) {
    const registers = [this.#registry];
    collectDefaultMetrics({ register: this.#registry });
    const requestCounts = this.#requestCounts;
    new Counter({
      name: 'mtls_proxy_requests_total',
      help: 'Requests answered through an intercepted connection or plain HTTP, by rule pattern and status code.',
      labelNames: ['rule', 'code'],
      registers,
      collect() {
        this.reset();
        for (const [rule, byStatus] of requestCounts) {
          for (const [status, count] of byStatus) this.labels(rule ?? NONE, status === null ? NONE : String(status)).inc(count);
        }
      },
    });
    this.#duration = new Histogram({
      name: 'mtls_proxy_request_duration_seconds',
      help: 'Time from a request reaching the proxy to the end of its response.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.#handshakes = new Counter({
      name: 'mtls_proxy_upstream_handshakes_total',
      help: 'Upstream TLS handshakes, by rule pattern and result.',
      labelNames: ['rule', 'result'],
      registers,
    });
    this.#errors = new Counter({
      name: 'mtls_proxy_upstream_errors_total',
      help: 'Upstream connect, TLS and response failures, by Proxy-Status error type.',
      labelNames: ['type'],
      registers,
    });
    const open = new Gauge({
      name: 'mtls_proxy_open_connections',
      help: 'Open connections: from clients to the proxy, and from the proxy to upstream servers.',
      labelNames: ['side'],
      registers,
    });
    this.#open = { client: open.labels('client'), upstream: open.labels('upstream') };
    // Both sides show from the first scrape, at 0, rather than appearing later.
    this.#open.client.set(0);
    this.#open.upstream.set(0);
    new Gauge({
      name: 'mtls_proxy_client_certificate_expiry_seconds',
      help: "Seconds until each rule's client certificate expires (negative once expired).",
      labelNames: ['rule', 'fingerprint256'],
      registers,
      // Every cluster worker has the same certificates: summed, the seconds would double.
      aggregator: 'first',
      // Computed when scraped, from the certificates in force then.
      collect() {
        this.reset();
        const { rules, store } = current();
        const now = Date.now();
        for (const rule of rules) {
          const { fingerprint256, validTo } = store.identity(rule.index).summary;
          this.labels(rule.host, fingerprint256).set((Date.parse(validTo) - now) / 1000);
        }
      },
    });
  }

  /** One request answered (the contract's `request` line). */
  request(rule: string | null, status: number | null, seconds: number): void {
    let byStatus = this.#requestCounts.get(rule);
    if (!byStatus) this.#requestCounts.set(rule, (byStatus = new Map()));
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    this.#duration.observe(seconds);
  }

  upstreamHandshake(rule: string | null, result: HandshakeResult): void {
    this.#handshakes.labels(rule ?? NONE, result).inc();
  }

  upstreamError(type: string): void {
    this.#errors.labels(type).inc();
  }

  /** Counts `socket` as open on `side` until it closes. */
  trackOpen(side: ConnectionSide, socket: { once(event: 'close', listener: () => void): unknown }): void {
    const gauge = this.#open[side];
    gauge.inc();
    socket.once('close', () => gauge.dec());
  }

  /** For a cluster worker to hand to prom-client's AggregatorRegistry. */
  get registry(): Registry {
    return this.#registry;
  }

  get contentType(): string {
    return this.#registry.contentType;
  }

  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.#registry.metrics();
  }
}
