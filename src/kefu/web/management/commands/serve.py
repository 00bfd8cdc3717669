"""kefu serve: gunicorn, and (the embedded default) one `kefu worker` beside it, started again
if it dies and stopped with the server."""

import argparse
import logging
import os
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

log = logging.getLogger("kefu.serve")


class EmbeddedWorker:
    """The one `kefu worker` beside the server. If it stops while the server runs (killed, out
    of memory, a crash) it is started again, after 1 s, then 2, 4 … up to 60 s while it keeps
    dying young; the server's arbiter calls check() about once a second."""

    MIN_DELAY, MAX_DELAY, SETTLED = 1.0, 60.0, 60.0
    STOP_WAIT = 30  # seconds for the task in hand to finish its batch on SIGTERM

    def __init__(self):
        self.proc = None
        self.started = self.restart_at = None
        self.delay = self.MIN_DELAY / 2

    def start(self):
        # A session of its own: Ctrl+C in a terminal reaches only the server, which then stops
        # the worker with one SIGTERM (a second signal would cut its batch short).
        self.proc = subprocess.Popen([sys.executable, "-m", "kefu.cli", "worker"], start_new_session=True)
        self.started, self.restart_at = time.monotonic(), None

    def check(self):
        # The arbiter reaps every child it has, this one too: poll() then reports 0, so any
        # exit while the server runs counts as unexpected, whatever its code was.
        if self.proc is None or self.proc.poll() is None:
            return
        now = time.monotonic()
        if self.restart_at is None:
            lived = now - self.started
            self.delay = self.MIN_DELAY if lived >= self.SETTLED else min(self.delay * 2, self.MAX_DELAY)
            self.restart_at = now + self.delay
            log.error("The background worker (pid %s) stopped after %.0f s; starting another in %.0f s.",
                      self.proc.pid, lived, self.delay)
        elif now >= self.restart_at:
            self.start()
            log.warning("Started a new background worker (pid %s).", self.proc.pid)

    def stop(self):
        """SIGTERM: the worker finishes its batch and exits; killed if it takes too long."""
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(self.STOP_WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Command(BaseCommand):
    help = "Serve Kefu over HTTP with gunicorn (HOST and PORT environment variables as defaults)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST") or "127.0.0.1")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
        parser.add_argument("--workers", type=int, default=settings.KEFU_WORKERS)
        parser.add_argument("--access-log", action="store_true", help="log every request to stdout")
        parser.add_argument("--worker", action=argparse.BooleanOptionalAction, default=settings.KEFU_EMBEDDED_WORKER,
                            help="also run `kefu worker` (SLA escalations, auto-confirmation) beside the server")

    def handle(self, host, port, workers, access_log, worker, **options):
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database is not migrated: run `kefu migrate` first.")
        try:
            from gunicorn.app.base import BaseApplication
            from gunicorn.arbiter import Arbiter
        except ImportError:  # gunicorn does not run on Windows
            raise CommandError("gunicorn is not installed; on Windows use `kefu runserver`.") from None

        from django.db import connections

        from kefu.asgi import application

        # The migration check opened a connection; forked workers must not inherit it, or
        # they would share one socket to the database and read each other's replies.
        connections.close_all()
        # Under ASGI each request runs its synchronous part in a thread of its own, and Django's
        # persistent connections are per thread: they would pile up. One connection per request.
        for alias in connections:
            connections.settings[alias]["CONN_MAX_AGE"] = 0

        # Links in e-mail need the address people reach Kefu at: unless configured, the one this
        # server listens on (the embedded worker, started below, inherits it).
        if not settings.KEFU_BASE_URL and host not in ("0.0.0.0", "::", ""):
            settings.KEFU_BASE_URL = os.environ["KEFU_BASE_URL"] = f"http://{host}:{port}"

        # The embedded default: one `kefu worker` beside the web workers, no extra server.
        background = EmbeddedWorker() if worker else None

        class Supervisor(Arbiter):
            def manage_workers(self):  # the arbiter's once-a-second round: look after ours too
                super().manage_workers()
                if background:
                    background.check()

        class Server(BaseApplication):
            def load_config(self):
                self.cfg.set("bind", f"{host}:{port}")
                self.cfg.set("workers", workers)
                # ASGI under gunicorn's arbiter: the push streams wait without a thread each.
                self.cfg.set("worker_class", "uvicorn_worker.UvicornWorker")
                self.cfg.set("accesslog", "-" if access_log else None)
                self.cfg.set("proc_name", "kefu")
                # gunicorn ≥ 25.1 opens a control socket at one path per user (~/.gunicorn/
                # gunicorn.ctl): a second instance on the host takes it over and stopping either
                # deletes it. Kefu is managed with signals (TERM, HUP, TTIN/TTOU), so none.
                if "control_socket_disable" in self.cfg.settings:
                    self.cfg.set("control_socket_disable", True)
                if background:
                    self.cfg.set("on_starting", lambda server: background.start())
                    self.cfg.set("on_exit", lambda server: background.stop())

            def load(self):
                return application

            def run(self):  # BaseApplication.run, with the arbiter that also supervises the worker
                try:
                    Supervisor(self).run()
                except RuntimeError as e:
                    raise CommandError(str(e)) from e

        self.stdout.write(f"Kefu on http://{host}:{port}/ ({workers} workers, database: {connection.vendor}"
                          f"{', with the background worker' if worker else ''})")
        sys.argv = sys.argv[:1]  # gunicorn parses argv; ours are already handled
        Server().run()
