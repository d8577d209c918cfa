"""Benchmark peer: an echo server with socketserver.ThreadingTCPServer
(one thread per connection, like echo-threaded).

usage: python3 bench/echo_threading.py [--checksum] [ADDRESS]
Echo bytes back on ADDRESS (default 127.0.0.1:7006); --checksum as in
echo_asyncio.py.
"""
import socket
import socketserver
import sys

from echo_asyncio import MAX_FRAME, fnv1a64, parse_address


def read_exact(sock, count):
    chunks = bytearray()
    while len(chunks) < count:
        chunk = sock.recv(count - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            self.request.sendall(data)


class Checksum(Echo):
    def handle(self):
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            header = read_exact(self.request, 4)
            if header is None:
                return
            length = int.from_bytes(header, "big")
            if length > MAX_FRAME:
                return
            payload = read_exact(self.request, length)
            if payload is None:
                return
            self.request.sendall(fnv1a64(payload).to_bytes(8, "big"))


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 1024

    def handle_error(self, request, client_address):
        print(f"error: client {client_address}: {sys.exc_info()[1]}", file=sys.stderr)


def main(args):
    handler = Checksum if "--checksum" in args else Echo
    rest = [arg for arg in args if not arg.startswith("--")]
    address = parse_address(rest[0] if rest else "127.0.0.1:7006")
    if ":" in address[0]:
        Server.address_family = socket.AF_INET6
    with Server(address, handler) as server:
        host, port = server.server_address[:2]
        shown = f"[{host}]" if ":" in host else host
        print(f"Listening on {shown}:{port}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except KeyboardInterrupt:
        pass
    except OSError as error:
        print(f"error: cannot serve: {error}", file=sys.stderr)
        sys.exit(1)
