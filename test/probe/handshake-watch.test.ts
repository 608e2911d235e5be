import { describe, expect, it } from 'vitest';
import { ServerHandshakeWatch } from '../../src/probe/handshake-watch.js';

function record(type: number, payload: Buffer): Buffer {
  const header = Buffer.from([type, 3, 3, 0, 0]);
  header.writeUInt16BE(payload.length, 3);
  return Buffer.concat([header, payload]);
}

function message(type: number, length: number): Buffer {
  const header = Buffer.from([type, 0, 0, 0]);
  header.writeUIntBE(length, 1, 3);
  return Buffer.concat([header, Buffer.alloc(length, 7)]);
}

const SERVER_HELLO = 2;
const CERTIFICATE = 11;
const CERTIFICATE_REQUEST = 13;
const SERVER_HELLO_DONE = 14;

describe('ServerHandshakeWatch', () => {
  it('sees a TLS 1.2 CertificateRequest, whatever the record and chunk boundaries', () => {
    const flight = Buffer.concat([message(SERVER_HELLO, 70), message(CERTIFICATE, 900), message(CERTIFICATE_REQUEST, 40), message(SERVER_HELLO_DONE, 0)]);
    // The handshake split across two records, in the middle of a message.
    const bytes = Buffer.concat([record(22, flight.subarray(0, 500)), record(22, flight.subarray(500))]);
    for (const size of [1, 7, 100, bytes.length]) {
      const watch = new ServerHandshakeWatch();
      for (let i = 0; i < bytes.length; i += size) watch.feed(bytes.subarray(i, i + size));
      expect(watch.certificateRequested, `chunks of ${size}`).toBe(true);
    }
  });

  it('sees none when the server asks for none', () => {
    const watch = new ServerHandshakeWatch();
    watch.feed(record(22, Buffer.concat([message(SERVER_HELLO, 70), message(CERTIFICATE, 900), message(SERVER_HELLO_DONE, 0)])));
    expect(watch.certificateRequested).toBe(false);
  });

  it('stops at the first record that is not a clear handshake record (TLS 1.3 encrypts the rest)', () => {
    const watch = new ServerHandshakeWatch();
    watch.feed(record(22, message(SERVER_HELLO, 70)));
    watch.feed(record(20, Buffer.from([1])));
    // An encrypted record whose bytes happen to look like a CertificateRequest is not read.
    watch.feed(record(22, message(CERTIFICATE_REQUEST, 4)));
    expect(watch.certificateRequested).toBe(false);
  });
});
