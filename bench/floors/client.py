"""Peer client: Python asyncio, the same least work as client.mjs, printing as get-poetry does.

Usage: python3 client.py [--output DIR] [host:]port...
Without --output, once every fetch has ended the poems go to stdout in the order given (the
poem alone for one address; for more, each under a header); with --output DIR each poem streams
into DIR/INDEX.txt. Exit status 0 when every address gave a poem, 1 otherwise.
"""

import asyncio
import os
import resource
import sys


class PoetryProtocol(asyncio.Protocol):
    def __init__(self, done, out):
        self.done = done
        self.out = out
        # Grows in place (amortized), never joined at the end.
        self.poem = bytearray()
        self.received = 0
        self.ended = False

    def data_received(self, data):
        self.received += len(data)
        if self.out is None:
            self.poem += data
        else:
            self.out.write(data)

    def eof_received(self):
        self.ended = True

    def connection_lost(self, exc):
        if self.done.done():
            return
        if exc is None and self.ended and self.received > 0:
            self.done.set_result(self.poem)
        else:
            self.done.set_exception(exc or ConnectionError("connection lost"))


async def fetch(loop, index, address, output_dir):
    host, _, port = address.rpartition(":")
    done = loop.create_future()
    out = None
    if output_dir is not None:
        out = open(os.path.join(output_dir, f"{index}.txt"), "wb", buffering=0)
    try:
        await loop.create_connection(
            lambda: PoetryProtocol(done, out), host or "127.0.0.1", int(port)
        )
        return await done
    finally:
        if out is not None:
            out.close()


def print_all(addresses, results):
    stdout = sys.stdout.buffer
    single = len(addresses) == 1
    first = True
    for index, poem in enumerate(results):
        if not isinstance(poem, bytearray):
            continue
        if not single:
            stdout.write(
                f"{'' if first else chr(10)}==> Task {index + 1}: {addresses[index]} <==\n".encode()
            )
        first = False
        stdout.write(poem)
        if not single and poem[-1] != 0x0A:
            stdout.write(b"\n")
    stdout.flush()


async def main(args):
    output_dir = None
    addresses = []
    i = 0
    while i < len(args):
        if args[i] == "--output":
            output_dir = args[i + 1]
            i += 1
        else:
            addresses.append(args[i])
        i += 1
    loop = asyncio.get_running_loop()
    results = await asyncio.gather(
        *(fetch(loop, i, a, output_dir) for i, a in enumerate(addresses)),
        return_exceptions=True,
    )
    if output_dir is None:
        print_all(addresses, results)
    failures = sum(1 for r in results if not isinstance(r, bytearray))
    return 0 if failures == 0 and addresses else 1


if __name__ == "__main__":
    # Like Node, lift the soft open-file limit to the hard one: 10,000 sockets need it.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sys.exit(asyncio.run(main(sys.argv[1:])))
