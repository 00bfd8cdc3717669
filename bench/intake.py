"""Work-order intake benchmark: POST /api/v1/orders against a real `kefu serve`.

    .venv/bin/python bench/intake.py [--clients 8] [--orders 2000] [--workers N]
                                     [--database sqlite|postgres] [--json]
                                     [--no-orm] [--timeout 300]

Builds a throw-away database (a temporary KEFU_DATA_DIR for SQLite, or a fresh
`kefu_bench_<pid>` database on PostgreSQL), migrates it, creates the demo organisation and a
few customers, starts gunicorn through `kefu serve` on 127.0.0.1, and lets N client threads
register work orders as the demo user "agent". It reports orders/s and latency percentiles,
then times the same number of `orders.services.create_order` calls in one process (the
ceiling without HTTP) and, for reference, how many SQL queries one POST costs. Everything it
created is removed at the end. Exit status 1 if any request (warm-up included) did not
answer 201.

This is a benchmark, not a test: it is not collected by pytest.
"""

import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
KEFU = str(BIN / "kefu") if (BIN / "kefu").exists() else None
HOST = "127.0.0.1"
PG_URL = "postgres://postgres@127.0.0.1:5432"

MAX_TOTAL_REQUESTS = 100_000  # hard cap on what one run may send
WARMUP = 50
CUSTOMERS = 20

KINDS = ["complaint", "fault", "consultation", "business", "suggestion"]
TEXTS = [
    ("宽带频繁掉线", "用户反映家中宽带近一周每天晚上八点后频繁掉线，重启光猫后仍无改善，要求尽快上门检修。"),
    ("话费异常扣费", "客户称本月账单中出现一笔未订购的增值业务费用，共计十九元，要求核实并退费。"),
    ("手机信号弱", "客户所在小区室内信号只有一格，通话经常中断，希望优化基站覆盖。"),
    ("套餐变更咨询", "客户咨询如何将现有套餐升级为家庭融合套餐，并询问合约期内变更是否收取违约金。"),
    ("营业厅服务态度", "客户投诉营业厅工作人员办理携号转网时态度冷淡，未说明所需材料，导致往返两次。"),
]


# --- the parts that run inside Django (in subprocesses, with the benchmark's environment) ---

def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()


def phase_setup():
    """Demo organisation, customers with subscriptions, and a token for "agent" (JSON on stdout)."""
    _django()
    import datetime

    from kefu.customers.services import create_customer, create_subscription
    from kefu.customers.validators import id_check_char
    from kefu.demo.org import ensure_org
    from kefu.staff.models import User
    from kefu.staff.services import issue_token

    ensure_org()
    admin = User.objects.get(username="admin")
    pairs = []
    for i in range(CUSTOMERS):
        first17 = f"110101{1970 + i % 30}{1 + i % 12:02d}{1 + i % 28:02d}{i:03d}"
        customer = create_customer(admin, name=f"测试客户{i:02d}", id_type="resident_id",
                                   id_number=first17 + id_check_char(first17), phone=f"138{i:08d}",
                                   province="北京", city="北京市", address=f"朝阳区建国路{i + 1}号")
        sub = create_subscription(admin, customer_id=customer.pk, product="mobile",
                                  service_number=f"139{i:08d}", plan="5G畅享套餐",
                                  opened_on=datetime.date(2024, 1, 1))
        pairs.append([customer.pk, sub.pk])
    print(json.dumps({"token": issue_token("agent", name="bench"), "pairs": pairs}))


def phase_orm(count: int, pairs: list, token: str):
    """The ceiling: create_order COUNT times in this process; then one POST under the microscope."""
    _django()
    from django.db import connection

    from kefu.orders import services
    from kefu.orders.models import WorkOrder
    from kefu.staff.models import User

    agent = User.objects.get(username="agent")
    result = {}

    t0 = time.perf_counter()
    for i in range(count):
        services.create_order(agent, **_order_body(i, pairs))
    result["orm_seconds"] = time.perf_counter() - t0

    # For reference only: the raw insert rate of the table, no rules, no events.
    base = WorkOrder.objects.count()
    objs = [WorkOrder(number=f"BULK{base + i:012d}", kind="complaint", title="批量", channel="hotline",
                      customer_id=pairs[i % len(pairs)][0], owner=agent) for i in range(count)]
    t0 = time.perf_counter()
    WorkOrder.objects.bulk_create(objs, batch_size=500)
    result["bulk_seconds"] = time.perf_counter() - t0

    result["profile"] = _profile(agent, pairs, token, connection)
    print(json.dumps(result))


def _profile(agent, pairs, token, connection):
    """SQL queries and time per phase of one POST, in-process (no network, no gunicorn)."""
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from kefu.orders import services
    from kefu.orders.api import _out
    from kefu.orders.schemas import OrderOut
    from kefu.staff.models import ApiToken, User

    class Req:  # what _out needs of a request
        user = None

    rounds = 50
    phases = {"auth": [0.0, 0], "create_order": [0.0, 0], "allowed_actions": [0.0, 0], "serialize": [0.0, 0]}
    for i in range(rounds):
        timings = {}
        with CaptureQueriesContext(connection) as q:
            t = time.perf_counter()
            user = ApiToken.authenticate(token)
            timings["auth"] = (time.perf_counter() - t, len(q))
            n = len(q)
            t = time.perf_counter()
            order = services.create_order(user, **_order_body(i, pairs))
            timings["create_order"] = (time.perf_counter() - t, len(q) - n)
            n = len(q)
            t = time.perf_counter()
            Req.user = user
            order = _out(Req, order)
            timings["allowed_actions"] = (time.perf_counter() - t, len(q) - n)
            n = len(q)
            t = time.perf_counter()
            OrderOut.from_orm(order).model_dump_json()
            timings["serialize"] = (time.perf_counter() - t, len(q) - n)
        for k, (sec, nq) in timings.items():
            phases[k][0] += sec
            phases[k][1] = nq
    out = {"phases": {k: {"ms": round(v[0] / rounds * 1000, 3), "queries": v[1]} for k, v in phases.items()}}

    # The whole Django stack (middleware, ninja, auth, view), still in-process: time, this
    # process's CPU, and (PostgreSQL on this machine) the CPU of its database backend.
    client = Client(SERVER_NAME=HOST, HTTP_AUTHORIZATION=f"Bearer {token}")
    backend_cpu = _backend_cpu(connection)
    wall, cpu, db_cpu = time.perf_counter(), time.process_time(), backend_cpu()
    for i in range(rounds):
        r = client.post("/api/v1/orders", _order_body(i, pairs), content_type="application/json")
        assert r.status_code == 201, (r.status_code, r.content[:300])
    out["django_stack_ms"] = round((time.perf_counter() - wall) / rounds * 1000, 3)
    out["django_stack_cpu_ms"] = round((time.process_time() - cpu) / rounds * 1000, 3)
    db_cpu = backend_cpu() - db_cpu if db_cpu is not None else None
    out["db_backend_cpu_ms"] = round(db_cpu / rounds * 1000, 3) if db_cpu is not None else None
    with CaptureQueriesContext(connection) as q:
        client.post("/api/v1/orders", _order_body(0, pairs), content_type="application/json")
    out["queries_per_post"] = len(q)
    out["sql"] = [_short(x["sql"]) for x in q.captured_queries]
    # permission checks: has_perm loads the user's and the groups' permissions once per user object
    fresh = User.objects.get(pk=agent.pk)
    with CaptureQueriesContext(connection) as q:
        t = time.perf_counter()
        fresh.has_perm("orders.add_workorder")
        out["first_has_perm"] = {"ms": round((time.perf_counter() - t) * 1000, 3), "queries": len(q)}
    return out


def _backend_cpu(connection):
    """A function giving the CPU seconds of this connection's PostgreSQL backend (None if unknown)."""
    if connection.vendor != "postgresql":
        return lambda: None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    tick = os.sysconf("SC_CLK_TCK")

    def read():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            return None  # not on this machine

    return read


def _short(sql: str) -> str:
    sql = " ".join(sql.split())
    head = sql.split(" WHERE ")[0]
    if head.startswith("SELECT"):
        head = "SELECT … " + head[head.find(" FROM "):] if " FROM " in head else head
    return head[:140]


def _order_body(i: int, pairs: list) -> dict:
    customer_id, subscription_id = pairs[i % len(pairs)]
    title, description = TEXTS[i % len(TEXTS)]
    return {"kind": KINDS[i % len(KINDS)], "title": f"{title} #{i}", "description": description,
            "customer_id": customer_id, "subscription_id": subscription_id,
            "channel": "hotline", "severity": "general"}


# --- the driver ------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _run(env, *args, timeout=300) -> str:
    """Run ARGS with ENV; return stdout, or fail loudly with stderr."""
    proc = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, args))}\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def _kefu(env, *args, timeout=300) -> str:
    if KEFU:
        return _run(env, KEFU, *args, timeout=timeout)
    return _run(env, sys.executable, "-m", "kefu.cli", *args, timeout=timeout)


def _self(env, *args, timeout=600) -> dict:
    out = _run(env, sys.executable, __file__, *args, timeout=timeout)
    return json.loads(out.strip().splitlines()[-1])


def _percentile(sorted_values, p):
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, round(p / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


class Database:
    """A throw-away database and the environment that points Kefu at it."""

    def __init__(self, kind: str, pg_url: str):
        self.kind = kind
        self.tmp = tempfile.mkdtemp(prefix="kefu-bench-")
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env.update(DJANGO_SETTINGS_MODULE="kefu.settings", KEFU_DATA_DIR=self.tmp, KEFU_DEBUG="0",
                        KEFU_SECRET_KEY="bench-" + os.urandom(16).hex(), KEFU_LOG_LEVEL="WARNING",
                        KEFU_FIELD_KEYS="b1:" + base64.urlsafe_b64encode(os.urandom(32)).decode(),
                        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])))
        self.pg_url, self.pg_name = pg_url.rstrip("/"), None
        self.pg_port = urlsplit(self.pg_url).port or 5432
        if kind == "postgres":
            self.pg_name = f"kefu_bench_{os.getpid()}"
            self._admin(f'CREATE DATABASE "{self.pg_name}"')
            self.env["DATABASE_URL"] = f"{self.pg_url}/{self.pg_name}"

    def _admin(self, sql):
        import psycopg

        with psycopg.connect(f"{self.pg_url}/postgres", autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql)

    def drop(self):
        if self.pg_name:
            try:
                self._admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001 - report, keep cleaning up
                print(f"warning: could not drop {self.pg_name}: {exc}", file=sys.stderr)
            self.pg_name = None
        shutil.rmtree(self.tmp, ignore_errors=True)


class Server:
    def __init__(self, env, workers, log_dir):
        self.port = _free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.log = open(Path(log_dir) / "serve.log", "w+")  # noqa: SIM115 - closed in stop()
        args = ["serve", "--host", HOST, "--port", str(self.port), "--no-worker"]
        if workers:
            args += ["--workers", str(workers)]
        cmd = [KEFU, *args] if KEFU else [sys.executable, "-m", "kefu.cli", *args]
        self.proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self, httpx, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"kefu serve exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2, trust_env=False).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        sys.exit(f"kefu serve did not answer /healthz within {timeout:.0f} s:\n{self.output()}")

    def settle(self, timeout=15.0):
        """Wait until the worker count has been steady for a second (all workers booted)."""
        deadline, last, since = time.monotonic() + timeout, None, time.monotonic()
        while time.monotonic() < deadline:
            n = self.worker_count()
            if n != last:
                last, since = n, time.monotonic()
            elif time.monotonic() - since >= 1.0:
                return n
            time.sleep(0.1)
        return last

    def shared_db_sockets(self, db_port: int) -> int:
        """How many server processes hold one and the same TCP connection to port DB_PORT
        (0 or 1 is healthy; more means workers inherited the master's database connection)."""
        inodes = set()
        for name in ("tcp", "tcp6"):
            try:
                for line in Path(f"/proc/net/{name}").read_text().splitlines()[1:]:
                    f = line.split()
                    if int(f[2].rsplit(":", 1)[1], 16) == db_port:
                        inodes.add(f[9])
            except (OSError, IndexError, ValueError):
                pass
        holders = Counter()
        pids = [self.proc.pid]
        try:
            pids += [int(c) for c in Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()]
        except OSError:
            return 0
        for pid in pids:
            try:
                links = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
            except OSError:
                continue
            for inode in inodes:
                if f"socket:[{inode}]" in links:
                    holders[inode] += 1
        return max(holders.values(), default=0)

    def worker_count(self) -> int | None:
        """gunicorn's worker processes, from /proc (Linux only)."""
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
            return len(children)
        except OSError:
            return None

    def output(self, tail=4000) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()[-tail:] if tail else self.log.read()

    def stop(self, timeout=15.0):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # gunicorn: graceful shutdown
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


class CpuMeter:
    """Where the machine's CPU went during the measured run (Linux /proc; None elsewhere): this
    process (the clients), the `kefu serve` process tree, the PostgreSQL backends serving the
    benchmark database, and everything else. Processes are sampled a few times a second, so
    one that exits mid-run (a worker connection past CONN_MAX_AGE) still counts."""

    def __init__(self, server_pid, pg_database=None, interval=0.25):
        self.server_pid, self.pg_database, self.interval = server_pid, pg_database, interval
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.seen = {"server": {}, "postgres": {}}  # group -> pid -> [first, last] CPU seconds
        self.done = threading.Event()
        self.start_state = None

    def _cpu(self, pid) -> float | None:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / self.tick
        except (OSError, IndexError, ValueError):
            return None

    def _server_pids(self):
        pids, todo = [], [self.server_pid]
        while todo:
            p = todo.pop()
            pids.append(p)
            try:
                for task in Path(f"/proc/{p}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
        return pids

    def _postgres_pids(self):
        if not self.pg_database:
            return []
        needle = f" {self.pg_database} ".encode()  # process title: "postgres: USER DB HOST(PORT) STATE"
        pids = []
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    if needle in (d / "cmdline").read_bytes().replace(b"\0", b" "):
                        pids.append(int(d.name))
                except OSError:
                    pass
        return pids

    def _sample(self, first=False):
        for group, pids in (("server", self._server_pids()), ("postgres", self._postgres_pids())):
            for pid in pids:
                cpu = self._cpu(pid)
                if cpu is None:
                    continue
                entry = self.seen[group].setdefault(pid, [cpu if first else 0.0, cpu])
                entry[1] = cpu

    @staticmethod
    def _machine():
        cpu = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
        return sum(cpu) - cpu[3] - cpu[4], sum(cpu)  # busy, all (ticks)

    def _loop(self):
        while not self.done.wait(self.interval):
            self._sample()

    def start(self):
        try:
            self.start_state = (self._machine(), time.process_time())
        except (OSError, ValueError, IndexError):
            return
        self._sample(first=True)
        threading.Thread(target=self._loop, daemon=True).start()

    def stop(self, orders) -> dict | None:
        self.done.set()
        if self.start_state is None or orders <= 0:
            return None
        self._sample()
        (busy0, all0), client0 = self.start_state
        busy1, all1 = self._machine()
        parts = {"client": time.process_time() - client0}
        for group, pids in self.seen.items():
            parts[group] = sum(last - first for first, last in pids.values())
        busy = (busy1 - busy0) / self.tick
        parts["other"] = max(0.0, busy - sum(parts.values()))
        out = {k + "_ms": v / orders * 1000 for k, v in parts.items()}
        out["machine_busy"] = (busy1 - busy0) / (all1 - all0) if all1 > all0 else None
        return out


def load(httpx, url, token, pairs, clients, orders, warmup, timeout, meter=None):
    """CLIENTS threads, each with its own keep-alive connection; returns the measured run."""
    lock = threading.Lock()
    latencies, failures, warmup_failures, samples = [], Counter(), Counter(), []
    stop = threading.Event()
    barrier = threading.Barrier(clients + 1)
    counter = iter(range(10**9))

    def post(client, record):
        with lock:
            i = next(counter)
        t = time.perf_counter()
        try:
            r = client.post("/api/v1/orders", json=_order_body(i, pairs))
            status, body = r.status_code, r.text
        except httpx.HTTPError as exc:
            status, body = f"error:{type(exc).__name__}", str(exc)
        elapsed = time.perf_counter() - t
        with lock:
            if status == 201:
                if record:
                    latencies.append(elapsed)
            else:
                (failures if record else warmup_failures)[str(status)] += 1
                if len(samples) < 3:
                    samples.append(f"{status}{'' if record else ' (warm-up)'}: {' '.join(body.split())[:200]}")

    def client_thread(n_warm, n_measured):
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30, trust_env=False) as client:
            for _ in range(n_warm):
                if not stop.is_set():
                    post(client, record=False)
            try:
                barrier.wait(timeout)
            except threading.BrokenBarrierError:
                return
            for _ in range(n_measured):
                if stop.is_set():
                    break
                post(client, record=True)

    share = [orders // clients + (1 if c < orders % clients else 0) for c in range(clients)]
    warm = [warmup // clients + (1 if c < warmup % clients else 0) for c in range(clients)]
    threads = [threading.Thread(target=client_thread, args=(warm[c], share[c]), daemon=True) for c in range(clients)]
    deadline = time.monotonic() + timeout
    for t in threads:
        t.start()
    barrier.wait(timeout)
    if meter:
        meter.start()
    t0 = time.perf_counter()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    timed_out = any(t.is_alive() for t in threads)
    if timed_out:
        stop.set()
        for t in threads:
            t.join(35)
    wall = time.perf_counter() - t0
    done = len(latencies) + sum(failures.values())
    if done < orders:
        failures["not_sent(timeout)"] += orders - done
    return {"wall": wall, "latencies": sorted(latencies), "failures": failures, "samples": samples,
            "warmup_failures": warmup_failures,
            "timed_out": timed_out, "cpu": meter.stop(len(latencies)) if meter else None}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=8, help="concurrent client threads (default 8)")
    p.add_argument("--orders", type=int, default=2000, help="measured POSTs in total (default 2000)")
    p.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: KEFU_WORKERS, 2×cores+1)")
    p.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--pg-url", default=os.environ.get("KEFU_BENCH_PG_URL", PG_URL),
                   help=f"PostgreSQL server, without a database name (default {PG_URL})")
    p.add_argument("--warmup", type=int, default=WARMUP, help=f"unmeasured POSTs first (default {WARMUP})")
    p.add_argument("--timeout", type=float, default=300, help="wall-clock limit of the load phase, seconds (default 300)")
    p.add_argument("--no-orm", action="store_true", help="skip the in-process create_order ceiling")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = p.parse_args(argv)
    if args.clients < 1 or args.orders < 1 or args.warmup < 0:
        p.error("--clients and --orders must be positive, --warmup not negative")
    if args.orders + args.warmup > MAX_TOTAL_REQUESTS:
        p.error(f"at most {MAX_TOTAL_REQUESTS} requests per run")

    import httpx

    try:
        loadavg = float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        loadavg = None

    say = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    db = Database(args.database, args.pg_url)
    server = None
    try:
        say(f"preparing {args.database} database in {db.env.get('DATABASE_URL') or db.tmp} …")
        _kefu(db.env, "migrate", "--no-input", "-v", "0")
        setup = _self(db.env, "_setup")
        token, pairs = setup["token"], setup["pairs"]

        server = Server(db.env, args.workers, db.tmp)
        server.wait_ready(httpx)
        workers = server.settle() or args.workers
        health = httpx.get(f"{server.url}/healthz", trust_env=False).json()
        warnings = []
        if db.pg_name:
            # every worker has answered by now only if each ran a request; poke them all first
            with httpx.Client(base_url=server.url, trust_env=False) as c:
                for _ in range(4 * workers):
                    c.get("/healthz", headers={"Connection": "close"})
            shared = server.shared_db_sockets(db.pg_port)
            if shared > 1:
                warnings.append(f"{shared} kefu serve processes share ONE PostgreSQL connection: the gunicorn "
                                "master opened it (migration check) and the workers inherited it across "
                                "fork(). Replies get crossed between workers (wrong rows, 500s, 401s, "
                                "hung workers). serve.py must close the connections before forking.")
        for w in warnings:
            say(f"WARNING: {w}")
        say(f"kefu serve on {server.url}: {workers} workers, database {health.get('database_vendor')}; "
            f"{args.clients} clients × {args.orders} orders (+{args.warmup} warm-up) …")
        meter = CpuMeter(server.proc.pid, db.pg_name)
        run = load(httpx, server.url, token, pairs, args.clients, args.orders, args.warmup, args.timeout, meter)
        workers = server.worker_count() or workers
        log = server.output(tail=None)
        server.stop()
        server = None

        lat = [x * 1000 for x in run["latencies"]]
        ok = len(lat)
        errors = Counter(re.sub(r"\b\d{3,}\b|\[[^]]*\]", "…", m.group(0))[:160] for m in re.finditer(
            r"^(?:[\w.]+(?:Error|Exception)\b.*|.*WORKER TIMEOUT.*)$", log, re.MULTILINE))
        http = {"orders_per_s": ok / run["wall"] if run["wall"] else 0.0, "ok": ok, "wall_s": run["wall"],
                "p50_ms": _percentile(lat, 50), "p95_ms": _percentile(lat, 95), "p99_ms": _percentile(lat, 99),
                "max_ms": lat[-1] if lat else None, "mean_ms": sum(lat) / ok if ok else None,
                "failures": sum(run["failures"].values()), "failure_codes": dict(run["failures"]),
                "warmup_failures": sum(run["warmup_failures"].values()),
                "warmup_failure_codes": dict(run["warmup_failures"]),
                "failure_samples": run["samples"], "timed_out": run["timed_out"],
                "server_errors": dict(errors.most_common(10))}

        orm = None
        if not args.no_orm:
            say(f"ceiling: {args.orders} × create_order in one process …")
            raw = _self(db.env, "_orm", str(args.orders), json.dumps(pairs), token)
            orm = {"orders_per_s": args.orders / raw["orm_seconds"],
                   "bulk_create_per_s": args.orders / raw["bulk_seconds"], "profile": raw["profile"]}
        summary = {"database": health.get("database_vendor"), "workers": workers, "cpus": os.cpu_count(),
                   "clients": args.clients, "orders": args.orders,
                   "warnings": warnings, "http": http,
                   "cpu_per_order": run["cpu"], "loadavg_before": loadavg, "orm": orm,
                   "ratio_http_orm": http["orders_per_s"] / orm["orders_per_s"] if orm else None}
    finally:
        if server is not None:
            server.stop()
        db.drop()

    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        _print_summary(summary)
    return 1 if http["failures"] or http["warmup_failures"] else 0


def _print_summary(s):
    h, o = s["http"], s["orm"]
    print()
    print(f"database: {s['database']}  workers: {s['workers']}  clients: {s['clients']}  orders: {s['orders']}  cpus: {s['cpus']}")
    def ms(v):
        return "-" if v is None else f"{v:.1f} ms"

    print(f"HTTP   : {h['orders_per_s']:.1f} orders/s  p50 {ms(h['p50_ms'])}  p95 {ms(h['p95_ms'])}  "
          f"p99 {ms(h['p99_ms'])}  max {ms(h['max_ms'])}  failures {h['failures']}"
          + (f" (+{h['warmup_failures']} in warm-up)" if h["warmup_failures"] else ""))
    if h["failures"] or h["warmup_failures"]:
        codes = Counter(h["failure_codes"]) + Counter(h["warmup_failure_codes"])
        print(f"         failures by status: {dict(codes)}" + ("  (load phase timed out)" if h["timed_out"] else ""))
        for sample in h["failure_samples"]:
            print(f"         {sample}")
    for line, n in h["server_errors"].items():
        print(f"         server log: {n} × {line}")
    if c := s["cpu_per_order"]:
        pg = f"postgres {c['postgres_ms']:.1f} ms, " if s["database"] == "postgresql" else ""
        print(f"CPU    : per order: clients {c['client_ms']:.1f} ms, kefu serve {c['server_ms']:.1f} ms, "
              f"{pg}other processes {c['other_ms']:.1f} ms; "
              f"machine {c['machine_busy']:.0%} busy over {s['cpus']} cpus (load avg before: {s['loadavg_before']})")
    for w in s["warnings"]:
        print(f"WARNING: {w}")
    if o:
        print(f"ORM    : {o['orders_per_s']:.1f} orders/s (create_order in one process); "
              f"bulk_create {o['bulk_create_per_s']:.0f} rows/s")
        print(f"ratio  : HTTP/ORM = {s['ratio_http_orm']:.2f}")
        pr = o["profile"]
        db = f", database backend CPU {pr['db_backend_cpu_ms']:.2f} ms" if pr["db_backend_cpu_ms"] is not None else ""
        print(f"one POST in-process (no HTTP): {pr['django_stack_ms']:.2f} ms, Python CPU {pr['django_stack_cpu_ms']:.2f} ms{db}; "
              f"{pr['queries_per_post']} SQL statements")
        phases = ", ".join(f"{k} {v['ms']:.2f} ms/{v['queries']} q" for k, v in pr["phases"].items())
        print(f"  phases: {phases}; loading a user's permissions (first has_perm) "
              f"{pr['first_has_perm']['ms']:.2f} ms/{pr['first_has_perm']['queries']} q")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_setup":
        phase_setup()
    elif len(sys.argv) > 1 and sys.argv[1] == "_orm":
        phase_orm(int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(main())
