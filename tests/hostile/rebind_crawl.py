"""A crawl (``python -m spiders.run`` arguments) in a process whose name resolution the test controls.

``NIANBAO_REBIND="host=ip"``: the first lookup of ``host`` answers ``ip`` (what the address guard sees),
every later one answers 127.0.0.1 (what a rebinding DNS server tells the connection). Other names resolve
normally. Installed before Scrapy or the spiders are imported, as a resolver library would be.
"""

from __future__ import annotations

import os
import socket
import sys
from collections import Counter

_real_getaddrinfo = socket.getaddrinfo
_asked: Counter = Counter()


def _rebinding_getaddrinfo(host, port, *args, **kwargs):  # noqa: ANN001, ANN202 - getaddrinfo signature
    name, _, first = os.environ["NIANBAO_REBIND"].partition("=")
    if isinstance(host, bytes):
        host = host.decode()
    if host != name:
        return _real_getaddrinfo(host, port, *args, **kwargs)
    _asked[host] += 1
    ip = first if _asked[host] == 1 else "127.0.0.1"
    sys.stderr.write(f"rebind: lookup {_asked[host]} of {host} -> {ip}\n")
    return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port or 0))]


if __name__ == "__main__":
    socket.getaddrinfo = _rebinding_getaddrinfo
    socket.gethostbyname = lambda host: _rebinding_getaddrinfo(host, 0)[0][4][0]
    from spiders.run import main

    sys.exit(main(sys.argv[1:]))
