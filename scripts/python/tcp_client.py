"""The tutorial's TCP client in Python, written for interop tests and the book's comparisons."""
import socket
import sys

# Print UTF-8 whatever the terminal or pipe expects (on Windows a pipe gets the
# ANSI code page, which cannot encode every character a peer may send).
sys.stdout.reconfigure(encoding="utf-8", errors="replace")

address = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:12345"
host, port = address.rsplit(":", 1)
client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((host, int(port)))
client.sendall(b"Hello, Server!")
reply = client.recv(1024)
print(f"Received: {reply.decode('utf-8')}")
client.close()
