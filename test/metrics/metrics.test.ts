import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { parseMetrics } from '../helpers/admin.js';
import { metricsWithoutRules as noRules } from '../helpers/metrics.js';

describe('ProxyMetrics', () => {
  it('counts each (rule, status) pair apart, `none` standing for no rule and for no status sent', async () => {
    const metrics = noRules();
    metrics.request('api.example.com', 200, 0.01);
    metrics.request('api.example.com', 200, 0.02);
    metrics.request('api.example.com', 404, 0.01);
    metrics.request(null, 200, 0.01);
    metrics.request(null, null, 3);
    const samples = parseMetrics(await metrics.scrape());
    expect(samples.get('mtls_proxy_requests_total{rule="api.example.com",code="200"}')).toBe(2);
    expect(samples.get('mtls_proxy_requests_total{rule="api.example.com",code="404"}')).toBe(1);
    expect(samples.get('mtls_proxy_requests_total{rule="none",code="200"}')).toBe(1);
    expect(samples.get('mtls_proxy_requests_total{rule="none",code="none"}')).toBe(1);
    expect(samples.get('mtls_proxy_request_duration_seconds_count')).toBe(5);
    expect(samples.get('mtls_proxy_request_duration_seconds_bucket{le="0.025"}')).toBe(4);
  });

  it('holds a socket as open until it closes', async () => {
    const metrics = noRules();
    const socket = new EventEmitter();
    metrics.trackOpen('upstream', socket);
    expect(parseMetrics(await metrics.scrape()).get('mtls_proxy_open_connections{side="upstream"}')).toBe(1);
    socket.emit('close');
    const samples = parseMetrics(await metrics.scrape());
    expect(samples.get('mtls_proxy_open_connections{side="upstream"}')).toBe(0);
    expect(samples.get('mtls_proxy_open_connections{side="client"}')).toBe(0);
  });

  it('two instances count apart (each proxy in a process has its own registry)', async () => {
    const a = noRules();
    const b = noRules();
    a.upstreamError('dns_error');
    expect(parseMetrics(await a.scrape()).get('mtls_proxy_upstream_errors_total{type="dns_error"}')).toBe(1);
    expect(parseMetrics(await b.scrape()).has('mtls_proxy_upstream_errors_total{type="dns_error"}')).toBe(false);
  });
});
