# Chapter 7: with no server, a UDP client without a timeout waits forever
# (here cut off by `timeout 3`), while a connected UDP socket hears the ICMP
# "port unreachable" and fails at once (Linux).
source "$(dirname "$0")/lib.sh"
# a UDP port with nobody on it: ask the OS for a free one, then let it go
PORT=$(python3 -c "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
{
  echo "@@@ ch7-no-timeout"
  prompt "timeout 3 python3 -c \"import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'Hello, UDP Server!', ('127.0.0.1', 5678)); print(s.recvfrom(1024))\""
  timeout 3 python3 -c "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'Hello, UDP Server!', ('127.0.0.1', $PORT)); print(s.recvfrom(1024))" 2>&1 || echo "\$? = $?" > "$LOGS/status"
  prompt 'echo $?'
  sed 's/^\$? = //' "$LOGS/status"

  echo "@@@ ch7-connected"
  prompt "python3 -c \"import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(('127.0.0.1', 5678)); s.send(b'Hello, UDP Server!'); print(s.recv(1024))\""
  python3 -c "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(('127.0.0.1', $PORT)); s.send(b'Hello, UDP Server!'); print(s.recv(1024))" 2>&1 | tail -n 1 || true
} | sed "s/, $PORT))/, 5678))/g"
