import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

const HANDSHAKE = 22;
const CERTIFICATE_REQUEST = 13;
const SERVER_HELLO_DONE = 14;
/** More handshake than a server sends in the clear; past it, stop looking. */
const MAX_WATCHED_BYTES = 64 * 1024;

/**
 * Reads the server's side of a TLS handshake while it is in the clear: under TLS 1.2
 * everything up to ServerHelloDone, so a CertificateRequest shows; under TLS 1.3
 * only the ServerHello (RFC 8446 §4.3.2: the request is encrypted).
 */
export class ServerHandshakeWatch {
  #records = Buffer.alloc(0);
  #messages = Buffer.alloc(0);
  #seen = 0;
  #done = false;
  certificateRequested = false;

  feed(chunk: Buffer): void {
    if (this.#done) return;
    this.#seen += chunk.length;
    if (this.#seen > MAX_WATCHED_BYTES) this.#done = true;
    this.#records = Buffer.concat([this.#records, chunk]);
    while (!this.#done && this.#records.length >= 5) {
      const length = this.#records.readUInt16BE(3);
      if (this.#records.length < 5 + length) return;
      // ChangeCipherSpec, an alert or encrypted records: the clear part is over.
      if (this.#records[0] !== HANDSHAKE) this.#done = true;
      else this.#readMessages(this.#records.subarray(5, 5 + length));
      this.#records = this.#records.subarray(5 + length);
    }
  }

  #readMessages(fragment: Buffer): void {
    this.#messages = Buffer.concat([this.#messages, fragment]);
    while (this.#messages.length >= 4) {
      const length = this.#messages.readUIntBE(1, 3);
      if (this.#messages.length < 4 + length) return;
      if (this.#messages[0] === CERTIFICATE_REQUEST) this.certificateRequested = true;
      if (this.#messages[0] === SERVER_HELLO_DONE) this.#done = true;
      this.#messages = this.#messages.subarray(4 + length);
    }
  }
}

/**
 * `socket` as a stream TLS can run over, showing every byte the server sends to
 * `watch` first (a net.Socket handed to tls.connect is read in C++, out of sight).
 */
export function watchedStream(socket: Socket, watch: ServerHandshakeWatch): Duplex {
  const stream: Duplex = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _encoding, callback) => void socket.write(chunk, callback),
    final: (callback) => void socket.end(callback),
    destroy: (err, callback) => {
      socket.destroy();
      callback(err);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    watch.feed(chunk);
    if (!stream.push(chunk)) socket.pause();
  });
  socket.once('end', () => stream.push(null));
  socket.once('error', (err) => stream.destroy(err));
  socket.once('close', () => stream.destroy());
  return stream;
}
