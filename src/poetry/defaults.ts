// The poetry client's defaults, in a module with no imports so the CLI can show them cheaply.

/** Seconds without a byte after which a fetch gives up, unless told otherwise. */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 60;

/**
 * The largest poem held in memory unless told otherwise: 64 MiB. A poem streamed to a sink (as
 * `get-poetry --output` does) has no cap unless one is given.
 */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Fetches at once unless told otherwise. Node cannot read `ulimit -n`; it raises the soft limit
 * to the hard one at startup, which is rarely below 1024 on Linux or macOS, and each fetch holds
 * one descriptor (two when streaming to a file). Running out anyway fails no address: see
 * `PoetryQueue`.
 */
export const DEFAULT_CONCURRENCY = 512;

/**
 * The buffer every fetch reads into in turn (when nothing it reads is kept as it is): big reads
 * mean few system calls for a big poem, and one buffer for all means no allocation per read.
 * Not bigger: libuv reads a socket again while each read fills the buffer, up to 32 times in a
 * turn of the loop, and 8 MiB at a time is enough for one connection to hold up the others.
 */
export const READ_BUFFER_BYTES = 256 * 1024;
