"""Benchmark peer: an echo server written the usual asyncio way.

usage: python3 bench/echo_asyncio.py [--checksum] [ADDRESS]
Echo bytes back on ADDRESS (default 127.0.0.1:7005); --checksum answers each
frame (4-byte big-endian length + payload) with the payload's 8-byte FNV-1a,
computed in pure Python, like the Rust servers compute it in Rust.
"""
import asyncio
import socket
import sys

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK = (1 << 64) - 1
MAX_FRAME = 1 << 20


def fnv1a64(data):
    value = FNV_OFFSET
    for byte in data:
        value = ((value ^ byte) * FNV_PRIME) & MASK
    return value


class Echo(asyncio.Protocol):
    """Protocol callbacks are asyncio's fastest path: no coroutine per read."""

    def connection_made(self, transport):
        self.transport = transport
        sock = transport.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data):
        self.transport.write(data)


class Checksum(Echo):
    def connection_made(self, transport):
        super().connection_made(transport)
        self.buffer = bytearray()

    def data_received(self, data):
        self.buffer += data
        while len(self.buffer) >= 4:
            length = int.from_bytes(self.buffer[:4], "big")
            if length > MAX_FRAME:
                self.transport.abort()
                return
            if len(self.buffer) < 4 + length:
                return
            payload = bytes(self.buffer[4 : 4 + length])
            del self.buffer[: 4 + length]
            self.transport.write(fnv1a64(payload).to_bytes(8, "big"))


def parse_address(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


async def main(args):
    protocol = Checksum if "--checksum" in args else Echo
    rest = [arg for arg in args if not arg.startswith("--")]
    host, port = parse_address(rest[0] if rest else "127.0.0.1:7005")
    loop = asyncio.get_running_loop()
    server = await loop.create_server(protocol, host, port, backlog=1024)
    address = server.sockets[0].getsockname()
    shown = f"[{address[0]}]" if ":" in address[0] else address[0]
    print(f"Listening on {shown}:{address[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main(sys.argv[1:]))
    except KeyboardInterrupt:
        pass
    except OSError as error:
        print(f"error: cannot serve: {error}", file=sys.stderr)
        sys.exit(1)
