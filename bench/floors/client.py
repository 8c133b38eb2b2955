"""Peer client: Python asyncio, the same least work as client.mjs (connect, collect, join, count).

Usage: python3 client.py [--output DIR] [--hash] [host:]port...
Prints one JSON line: {"poems":N,"failures":N,"bytes":N} (with --hash, also each poem's sha256).
"""

import asyncio
import hashlib
import json
import os
import resource
import sys


class PoetryProtocol(asyncio.Protocol):
    def __init__(self, done, out):
        self.done = done
        self.out = out
        self.chunks = []

    def data_received(self, data):
        if self.out is None:
            self.chunks.append(data)
        else:
            self.out.write(data)

    def connection_lost(self, exc):
        if not self.done.done():
            if exc is None:
                self.done.set_result(b"".join(self.chunks))
            else:
                self.done.set_exception(exc)


async def fetch(loop, index, address, output_dir):
    host, _, port = address.rpartition(":")
    done = loop.create_future()
    out = None
    if output_dir is not None:
        out = open(os.path.join(output_dir, f"{index}.txt"), "wb")
    try:
        await loop.create_connection(
            lambda: PoetryProtocol(done, out), host or "127.0.0.1", int(port)
        )
        return await done
    finally:
        if out is not None:
            out.close()


async def main(args):
    output_dir = None
    want_hash = False
    addresses = []
    i = 0
    while i < len(args):
        if args[i] == "--output":
            output_dir = args[i + 1]
            i += 1
        elif args[i] == "--hash":
            want_hash = True
        else:
            addresses.append(args[i])
        i += 1
    loop = asyncio.get_running_loop()
    results = await asyncio.gather(
        *(fetch(loop, i, a, output_dir) for i, a in enumerate(addresses)),
        return_exceptions=True,
    )
    poems = [r for r in results if isinstance(r, bytes)]
    summary = {
        "poems": len(poems),
        "failures": len(results) - len(poems),
        "bytes": sum(len(p) for p in poems),
    }
    if output_dir is not None:
        summary["bytes"] = sum(
            os.path.getsize(os.path.join(output_dir, f"{i}.txt"))
            for i, r in enumerate(results)
            if isinstance(r, bytes)
        )
    if want_hash:
        summary["sha256"] = [
            hashlib.sha256(r).hexdigest() if isinstance(r, bytes) else None for r in results
        ]
    print(json.dumps(summary))
    return 0 if summary["failures"] == 0 else 1


if __name__ == "__main__":
    # Like Node, lift the soft open-file limit to the hard one: 10,000 sockets need it.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sys.exit(asyncio.run(main(sys.argv[1:])))
