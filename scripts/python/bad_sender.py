#!/usr/bin/env python3
"""A send-file that misbehaves on purpose, to show how receive-file answers.

    python3 scripts/python/bad_sender.py ADDRESS NAME SIZE [--send N] [--then close|reset|hang]

It speaks the protocol of crates/transfer over TCP, written out by hand:
header ("XFER", version 1, name length u16, name, size u64, big-endian),
wait for the receiver's "ready" line, content, 32-byte checksum, verdict
line. It declares SIZE bytes and NAME (any string, even "../x"), sends the
first N content bytes (default: all of them, zeros), and then:

  --then close   closes the connection at once (default when N < SIZE)
  --then reset   resets it instead (SO_LINGER 0: the OS sends RST, not FIN)
  --then hang    says nothing more, until it is killed

When it sends all SIZE bytes, the checksum it sends is the content's SHA-256:
32 bytes that look right and are not, since the protocol wants BLAKE3 (which
Python's standard library does not have).

It prints every line the receiver sends back. Python standard library only.
"""
import hashlib
import socket
import struct
import sys
import time


def main() -> int:
    args = sys.argv[1:]
    options = {"--send": None, "--then": None}
    for option in options:
        if option in args:
            at = args.index(option)
            options[option] = args[at + 1]
            del args[at : at + 2]
    if len(args) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    address, name, size = args[0], args[1], int(args[2])
    host, port = address.rsplit(":", 1)
    send = size if options["--send"] is None else int(options["--send"])
    then = options["--then"] or ("close" if send < size else "finish")

    encoded = name.encode("utf-8")
    header = b"XFER" + bytes([1]) + struct.pack(">H", len(encoded)) + encoded + struct.pack(">Q", size)
    with socket.create_connection((host.strip("[]"), int(port)), timeout=30) as sock:
        sock.sendall(header)
        replies = sock.makefile("r", encoding="utf-8", newline="\n")
        answer = replies.readline().rstrip("\n")
        print(f"receiver: {answer}")
        if answer != "ready":
            return 1
        chunk = bytes(64 * 1024)
        sent, digest = 0, hashlib.sha256()
        while sent < send:
            part = chunk[: min(len(chunk), send - sent)]
            sock.sendall(part)
            digest.update(part)
            sent += len(part)
        print(f"sent {sent} of {size} bytes", flush=True)
        if then == "close":
            return 1
        if then == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return 1
        if then == "hang":
            while True:
                time.sleep(60)
        sock.sendall(digest.digest())  # the wrong algorithm: a wrong checksum
        for line in replies:
            print(f"receiver: {line.rstrip(chr(10))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
