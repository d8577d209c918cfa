"""The tutorial's TCP server in Python, written for interop tests and the book's comparisons."""
import socket
import sys

# Print UTF-8 whatever the terminal or pipe expects (on Windows a pipe gets the
# ANSI code page, which cannot encode every character a peer may send).
sys.stdout.reconfigure(encoding="utf-8", errors="replace")

address = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:12345"
host, port = address.rsplit(":", 1)
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind((host, int(port)))
server.listen(1)
print(f"Listening on {host}:{server.getsockname()[1]}", flush=True)
while True:
    connection, peer = server.accept()
    print(f"Connected by {peer}", flush=True)
    request = connection.recv(1024)
    print(f"Received: {request.decode('utf-8', errors='replace')}", flush=True)
    connection.sendall(b"Hello, Client!")
    connection.close()
