/** TLS record, handshake and extension numbers (RFC 8446 §5.1, §4, §4.2; RFC 7301 §3.1). */
const HANDSHAKE_RECORD = 0x16;
const CLIENT_HELLO = 0x01;
const ALPN_EXTENSION = 0x0010;

/**
 * The protocols a ClientHello offers by ALPN, read from the first bytes a client
 * sent; empty when it offers none, or when its hello does not fit those bytes
 * (the caller then assumes http/1.1, which every client speaks).
 */
export function offeredAlpn(bytes: Buffer): string[] {
  if (bytes[0] !== HANDSHAKE_RECORD || bytes[5] !== CLIENT_HELLO) return [];
  // Record header (5), handshake header (4), client_version (2), random (32).
  let at = 5 + 4 + 2 + 32;
  const skip = (lengthBytes: number): boolean => {
    if (at + lengthBytes > bytes.length) return false;
    at += lengthBytes + bytes.readUIntBE(at, lengthBytes);
    return at <= bytes.length;
  };
  // session_id, cipher_suites, compression_methods.
  if (!skip(1) || !skip(2) || !skip(1) || at + 2 > bytes.length) return [];
  const end = Math.min(bytes.length, at + 2 + bytes.readUInt16BE(at));
  at += 2;
  while (at + 4 <= end) {
    const type = bytes.readUInt16BE(at);
    const length = bytes.readUInt16BE(at + 2);
    at += 4;
    if (at + length > end) return [];
    if (type === ALPN_EXTENSION) return protocolNames(bytes.subarray(at + 2, at + length));
    at += length;
  }
  return [];
}

/** An ALPN ProtocolNameList's entries, each a length byte and a name. */
function protocolNames(list: Buffer): string[] {
  const names: string[] = [];
  for (let at = 0; at < list.length; at += 1 + list[at]!) names.push(list.subarray(at + 1, at + 1 + list[at]!).toString('latin1'));
  return names;
}
