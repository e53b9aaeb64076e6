"""OpenMined PSI (P-256, single-threaded C++ via `openmined.psi`) on the same synthetic sets as
`examples/psi_loopback.rs`: n items per side, `overlap` in common, items `customer-%010d`.

    python -m venv venv && venv/bin/pip install openmined.psi
    venv/bin/python mpc/benches/openmined/compare.py <n> [overlap]

Reports wall and CPU time of the whole exchange (server setup, client request, server
response, client intersection), the bytes of the three messages, and checks the result.
"""
import resource
import sys
import time

import private_set_intersection.python as psi

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 16
overlap = int(sys.argv[2]) if len(sys.argv) > 2 else n // 2
client_items = ["customer-%010d" % i for i in range(n)]
server_items = ["customer-%010d" % i for i in range(n - overlap, 2 * n - overlap)]

t0, c0 = time.perf_counter(), time.process_time()
server = psi.server.CreateWithNewKey(True)
client = psi.client.CreateWithNewKey(True)
setup = server.CreateSetupMessage(1e-9, len(client_items), server_items, psi.DataStructure.RAW)
request = client.CreateRequest(client_items)
response = server.ProcessRequest(request)
found = client.GetIntersection(setup, response)
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
assert len(found) == overlap, (len(found), overlap)
sizes = [len(m.SerializeToString()) for m in (setup, request, response)]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(
    "openmined.psi %s: n %d, wall %.2f s, CPU %.2f s, bytes %.1f MiB, peak RSS %.0f MiB, intersection %d"
    % (psi.__version__, n, wall, cpu, sum(sizes) / 1048576, rss, len(found))
)
