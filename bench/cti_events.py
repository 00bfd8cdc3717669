"""Call events per second through the CTI interface (issue 18: ≥ 2,000 call events/s through
the HTTP interface on PostgreSQL), against a running `kefu serve`.

    createdb -h 127.0.0.1 -U postgres kefu_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/kefu_bench KEFU_DATA_DIR=/tmp/benchdata
    .venv/bin/kefu keys init && .venv/bin/kefu migrate
    .venv/bin/kefu serve --workers 2 --no-worker --port 8000 &
    .venv/bin/python bench/cti_events.py http://127.0.0.1:8000 [--calls 2000] [--processes 2] [--threads 8]
    kill %1; dropdb -h 127.0.0.1 -U postgres kefu_bench

The bench reads the same DATABASE_URL and KEFU_DATA_DIR as the server: it creates the telephone
platform `bench` (with a random signing secret) and --agents extensions mapped to agents of its
own the first time, and reads the secret. It then lets kefu.cti.simulate's call centre make the
events of --calls calls (an hour from yesterday 10:00: the IVR, queues, answers, holds,
abandons, after-call work, recordings, survey scores), deals the calls out to --processes ×
--threads senders and lets each post its calls' events in the order they happened, over one
keep-alive connection, signed as it sends them (the HMAC costs microseconds; a signature made
in advance would age out of the replay window in a long run). Prints events/s over the whole
load, latency percentiles, the answers by status, and what the database holds afterwards.

Everything runs on one machine: the senders' CPU is taken from the server and PostgreSQL; the
`CPU` line says how much.
"""

import argparse
import hashlib
import hmac
import http.client
import json
import multiprocessing
import os
import random
import secrets
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

PATH = "/api/v1/cti/events"


def _setup(agents: int) -> tuple[str, str]:
    """The bench platform's code and secret, and its agents' extensions, made when missing."""
    from django.contrib.auth.models import Group

    from kefu.cti.models import Extension, Platform
    from kefu.staff import roles
    from kefu.staff.models import User

    platform = Platform.objects.filter(code="bench").first()
    if platform is None:
        platform = Platform.objects.create(code="bench", name="压测平台", secret=secrets.token_urlsafe(32))
    have = set(Extension.objects.filter(platform=platform).values_list("extension", flat=True))
    group = Group.objects.filter(name=roles.AGENT).first()
    for i in range(agents):
        extension = f"9{i:03d}"
        if extension not in have:
            user, _created = User.objects.get_or_create(username=f"bench-agent-{i:03d}")
            if group:
                user.groups.add(group)
            Extension.objects.create(platform=platform, extension=extension, user=user)
    return platform.code, platform.secret


def _calls(count: int, agents: int, seed: int) -> list[list[bytes]]:
    """The bodies of COUNT calls' events, each call's in the order they happened, the calls in
    the order they began."""
    from django.utils import timezone

    from kefu.cti import client, simulate
    from kefu.cti.models import Extension

    extensions = list(Extension.objects.filter(platform__code="bench").order_by("extension")
                      .values_list("extension", "user_id")[:agents])
    start = (timezone.localtime() - timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    by_call: dict[str, list[bytes]] = {}
    # About COUNT calls in an hour from 10:00, whose rate is 0.92–1.0 of the peak.
    centre = simulate.CallCentre(
        rng=random.Random(seed), agents=[simulate.Agent(e, u) for e, u in extensions], origin=start, minutes=60,
        rate=count / 60 / 0.96, queues=simulate._queues(simulate.DEFAULT_QUEUES), keys=dict(simulate.QUEUE_KEYS),
        self_service_key=simulate.SELF_SERVICE_KEY, callers=simulate._callers(), called="10000",
        tag=f"bench-{seed}", emit=lambda s: by_call.setdefault(s.call_id, []).append(json.dumps(
            client.event(s.call_id, s.seq, s.kind, s.at, **s.data), ensure_ascii=False).encode()),
        sign_in=False, breaks=False)
    centre.run()
    return list(by_call.values())


def _sender(url: str, code: str, secret: str, calls: list[list[bytes]], start, results, lock) -> None:
    """Post the events of CALLS, interleaved call by call as a platform would (each call's in
    its order), over one keep-alive connection."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=60)
    queue = [body for group in _interleave(calls) for body in group]
    latencies, statuses, samples = [], Counter(), []
    key = secret.encode()
    start.wait()
    for body in queue:
        ts = str(int(time.time()))
        signature = hmac.new(key, f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
        began = time.perf_counter()
        try:
            connection.request("POST", PATH, body, {"Content-Type": "application/json", "X-Kefu-Platform": code,
                                                    "X-Kefu-Timestamp": ts, "X-Kefu-Signature": signature})
            response = connection.getresponse()
            answer = response.read()
            status: int | str = response.status
        except (OSError, http.client.HTTPException) as exc:
            status, answer = f"error:{type(exc).__name__}", str(exc).encode()
            connection.close()
            connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=60)
        latencies.append(time.perf_counter() - began)
        statuses[status] += 1
        if status != 200 and len(samples) < 3:
            samples.append(f"{status}: {answer[:200].decode('utf-8', 'replace')}")
    connection.close()
    with lock:
        results.append((latencies, statuses, samples))


def _interleave(calls: list[list[bytes]], window: int = 8) -> list[list[bytes]]:
    """The events of CALLS with up to WINDOW calls under way at once: round by round, the next
    event of each call in the window, as the calls of a busy platform overlap."""
    out, pending, active = [], list(reversed(calls)), []
    while pending or active:
        while pending and len(active) < window:
            active.append(iter(pending.pop()))
        group, still = [], []
        for events in active:
            body = next(events, None)
            if body is not None:
                group.append(body)
                still.append(events)
        active = still
        if group:
            out.append(group)
    return out


def _process(url, code, secret, calls, threads, start, queue) -> None:
    """One sender process: THREADS threads, the process's calls dealt out among them."""
    results: list = []
    lock = threading.Lock()
    local_start = threading.Event()
    workers = [threading.Thread(target=_sender, args=(url, code, secret, calls[t::threads], local_start, results, lock))
               for t in range(threads)]
    for w in workers:
        w.start()
    start.wait()
    local_start.set()
    for w in workers:
        w.join()
    latencies, statuses, samples = [], Counter(), []
    for lat, st, sa in results:
        latencies += lat
        statuses += st
        samples += sa
    queue.put((latencies, dict(statuses), samples[:3], os.times()))


def _percentile(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, int(len(values) * p / 100))] if values else float("nan")


def _cpu_seconds(pids) -> float:
    """The user and system CPU seconds PIDS have used so far (Linux)."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def _machine_busy() -> float:
    """CPU seconds the whole machine has been busy so far, over all CPUs (Linux)."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


def _server_pids(port: int) -> list[int]:
    """The processes listening on PORT (Linux): `kefu serve`'s master and its workers, who share
    its listening socket."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = [line.split() for line in f.readlines()[1:]]
        except OSError:
            continue
        inodes |= {row[9] for row in rows if int(row[1].rsplit(":", 1)[1], 16) == port and row[3] == "0A"}
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            links = {os.readlink(f"/proc/{entry}/fd/{fd}") for fd in os.listdir(f"/proc/{entry}/fd")}
        except OSError:
            continue
        if any(f"socket:[{inode}]" in links for inode in inodes):
            found.append(int(entry))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the Kefu server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--calls", type=int, default=2000, help="calls to simulate (default 2000, ~8 events each)")
    parser.add_argument("--agents", type=int, default=150, help="agents answering them (default 150)")
    parser.add_argument("--processes", type=int, default=2, help="sender processes (default 2)")
    parser.add_argument("--threads", type=int, default=8, help="sender threads per process (default 8)")
    parser.add_argument("--seed", type=int, default=None, help="the simulation's seed (default: a new one)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()
    from django.db import connections

    from kefu.cti.models import Call, CallEvent

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    code, secret = _setup(args.agents)
    began = time.monotonic()
    calls = _calls(args.calls, args.agents, seed)
    total = sum(len(c) for c in calls)
    print(f"{len(calls):,} calls, {total:,} events made in {time.monotonic() - began:.1f} s (seed {seed}); "
          f"{args.processes} processes × {args.threads} threads posting to {args.url} …", flush=True)
    connections.close_all()  # the children are forked: they must not share this process's connection

    context = multiprocessing.get_context("fork")
    start, queue = context.Event(), context.Queue()
    processes = [context.Process(target=_process, args=(args.url, code, secret, calls[p::args.processes],
                                                         args.threads, start, queue))
                 for p in range(args.processes)]
    for p in processes:
        p.start()
    time.sleep(0.5)
    server = _server_pids(urlsplit(args.url).port or 80)
    server_cpu0, busy0, t0 = _cpu_seconds(server), _machine_busy(), time.perf_counter()
    start.set()
    outcomes = [queue.get() for _p in processes]
    wall = time.perf_counter() - t0
    for p in processes:
        p.join()
    server_cpu, busy = _cpu_seconds(server) - server_cpu0, _machine_busy() - busy0
    latencies = sorted(x * 1000 for o in outcomes for x in o[0])
    statuses = sum((Counter(o[1]) for o in outcomes), Counter())
    samples = [s for o in outcomes for s in o[2]]
    client_cpu = sum(o[3].user + o[3].system for o in outcomes)
    ok = statuses.get(200, 0)
    print(f"HTTP   : {len(latencies) / wall:,.0f} events/s ({len(latencies):,} in {wall:.1f} s)  "
          f"p50 {_percentile(latencies, 50):.1f} ms  p95 {_percentile(latencies, 95):.1f} ms  "
          f"p99 {_percentile(latencies, 99):.1f} ms  max {latencies[-1]:.1f} ms")
    print(f"answers: {dict(statuses)}" + ("" if ok == len(latencies) else "  ← not all 200"))
    for sample in samples:
        print(f"         {sample}")
    per = 1000 / len(latencies)
    print(f"CPU    : per event: senders {client_cpu * per:.2f} ms, kefu serve ({len(server)} processes) "
          f"{server_cpu * per:.2f} ms, the rest (the database, …) {(busy - client_cpu - server_cpu) * per:.2f} ms; "
          f"machine {busy / wall / (os.cpu_count() or 1):.0%} busy over {os.cpu_count()} cpus")
    tag = f"bench-{seed}-"
    applied = CallEvent.objects.filter(platform__code=code, call_id__startswith=tag, outcome="applied").count()
    made = Call.objects.filter(platform__code=code, call_id__startswith=tag)
    states = Counter(made.values_list("state", flat=True))
    print(f"stored : {applied:,} applied events, {made.count():,} calls {dict(states)}")
    return 0 if ok == total == applied else 1


if __name__ == "__main__":
    sys.exit(main())
