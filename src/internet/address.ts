// Addresses as text: the one place a host and port become the `host:port` that messages name,
// and what a UNIX socket's path may be.

/**
 * `host:port`, with brackets around an IPv6 literal (`[::1]:10000`). Made once per connection
 * or fetch and passed along, so every event, error and result names it with the same string.
 */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The longest path, in bytes, that a UNIX socket address holds here, as Node's net docs give it:
 * sun_path less its NUL, 107 on Linux, 103 on macOS. Node cuts a longer path short without a
 * word, so it would listen on, or connect to, another path than the one asked for. (Linux takes
 * a path that fills all of sun_path's 108 bytes, and Node 20 passes it whole, but only 107 is
 * documented.)
 */
export const UNIX_PATH_MAX_BYTES: number = process.platform === 'linux' ? 107 : 103;

/** Why `path` cannot be a socket's address, or undefined when it can. */
export function unixPathTooLong(path: string): string | undefined {
  const bytes = Buffer.byteLength(path);
  if (bytes <= UNIX_PATH_MAX_BYTES) return undefined;
  return `socket path too long: ${bytes} bytes, at most ${UNIX_PATH_MAX_BYTES} here`;
}
