// Addresses as text: the one place a host and port become the `host:port` that messages name.

/**
 * `host:port`, with brackets around an IPv6 literal (`[::1]:10000`). Made once per connection
 * or fetch and passed along, so every event, error and result names it with the same string.
 */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
