// One fetch with raw node:net or node:tls, the least work the floor clients share: connect, read,
// keep the poem.
//
// Every socket reads into one shared buffer of ours' read size (net's `onread`), so no read
// allocates. A poem held in memory is copied out of it into a Buffer of its own for the first read
// and into one resizable ArrayBuffer that grows in place after that, never joined at the end.
import net from 'node:net';
import tls from 'node:tls';

// src/poetry/defaults.ts READ_BUFFER_BYTES.
const READ_BUFFER_BYTES = 256 * 1024;
const readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);

/**
 * The secure context every `tls:` fetch shares, made once as ours makes it: a context per
 * connection would parse the CAs each time, work no client needs to do.
 */
let secureContext = tls.createSecureContext({});

/** Trusts `ca` (PEM) for every `tls:` address from now on, as get-poetry's --ca does. */
export function trustCertificates(ca) {
  secureContext = tls.createSecureContext({ ca });
}

/**
 * Connects to `address` (HOST:PORT, or PORT for 127.0.0.1; tls:HOST:PORT over TLS, checked as
 * ours checks it; unix:PATH) and hands every read to `onRead(bytesRead, buffer)`, which returns
 * false to stop reading; returns the socket.
 */
export function connectReading(address, onRead) {
  const onread = { buffer: readBuffer, callback: onRead };
  if (address.startsWith('unix:')) return net.connect({ path: address.slice(5), onread });
  const secure = address.startsWith('tls:');
  const rest = secure ? address.slice(4) : address;
  const colon = rest.lastIndexOf(':');
  const host = colon === -1 ? '127.0.0.1' : rest.slice(0, colon);
  const port = Number(rest.slice(colon + 1));
  if (!secure) return net.connect({ port, host, onread });
  const servername = net.isIP(host) === 0 ? host : undefined;
  return tls.connect({ port, host, servername, secureContext, onread });
}

/**
 * Fetches the poem at `address` into memory, refusing more than `maxBytes`, and calls
 * `onClose(poem, failure)` once the socket has closed: `poem` is the bytes when the server ended
 * the connection after at least one byte (else null), `failure` the socket's error, if any.
 */
export function fetchToMemory(address, maxBytes, onClose) {
  let firstRead = null;
  let store = null;
  let view = null;
  let length = 0;
  let ended = false;
  let failure = null;
  const socket = connectReading(address, (bytesRead, buffer) => {
    const end = length + bytesRead;
    if (end > maxBytes) {
      socket.destroy(Object.assign(new Error('poem too large'), { code: 'TOO_LARGE' }));
      return false;
    }
    if (store !== null) {
      store.resize(end);
      view.set(buffer.subarray(0, bytesRead), length);
    } else if (firstRead === null) {
      firstRead = Buffer.from(buffer.subarray(0, bytesRead));
    } else {
      store = new ArrayBuffer(end, { maxByteLength: maxBytes });
      view = new Uint8Array(store);
      view.set(firstRead);
      view.set(buffer.subarray(0, bytesRead), length);
      firstRead = null;
    }
    length = end;
    return true;
  });
  socket.on('end', () => {
    ended = true;
  });
  socket.on('error', (error) => {
    failure = error;
  });
  socket.on('close', () => {
    const poem =
      !ended || length === 0 ? null : store === null ? firstRead : Buffer.from(store, 0, length);
    onClose(poem, failure);
  });
}
