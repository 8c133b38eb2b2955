// The event layer's defaults, in a module with no imports so a command's --help can show them
// without loading node:net.

/** Twisted's default connect timeout, in seconds. */
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 30;
