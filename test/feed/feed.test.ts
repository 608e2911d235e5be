import { describe, expect, it } from 'vitest';
import { ActivityFeed, type FeedEvent } from '../../src/feed/feed.js';

function request(id: number): FeedEvent {
  return { kind: 'request', time: 0, id: String(id), method: 'GET', host: 'h', port: 443, path: '/', status: 200, durationMs: 1, rule: null, clientCert: null };
}

describe('ActivityFeed', () => {
  it('keeps the last `capacity` events, oldest first', () => {
    const feed = new ActivityFeed(3);
    expect(feed.recent()).toEqual([]);
    for (let i = 1; i <= 2; i++) feed.push(request(i));
    expect(feed.recent().map((e) => (e.kind === 'request' ? e.id : ''))).toEqual(['1', '2']);
    for (let i = 3; i <= 7; i++) feed.push(request(i));
    expect(feed.recent().map((e) => (e.kind === 'request' ? e.id : ''))).toEqual(['5', '6', '7']);
  });

  it('tells subscribers each new event until they unsubscribe', () => {
    const feed = new ActivityFeed(2);
    const seen: FeedEvent[] = [];
    const stop = feed.subscribe((event) => seen.push(event));
    feed.push(request(1));
    stop();
    feed.push(request(2));
    expect(seen).toEqual([request(1)]);
  });
});
