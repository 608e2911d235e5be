"""mitmproxy addon for the benchmark: connect every server to BENCH_UPSTREAM.

Like curl --resolve: only the TCP address changes; SNI, Host and certificate
verification keep the name the client asked for. The original address is put
back once connected, because mitmproxy reuses a server connection only for
requests whose (host, port) equals the connection's address.
"""
import os

UPSTREAM_HOST, _, UPSTREAM_PORT = os.environ["BENCH_UPSTREAM"].rpartition(":")
ORIGINAL = "bench_original_address"


class Resolve:
    def server_connect(self, data):
        setattr(data.server, ORIGINAL, data.server.address)
        data.server.address = (UPSTREAM_HOST, int(UPSTREAM_PORT))

    def server_connected(self, data):
        original = getattr(data.server, ORIGINAL, None)
        if original is not None:
            data.server.address = original


addons = [Resolve()]
