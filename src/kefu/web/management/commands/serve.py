import argparse
import os
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


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
        except ImportError:  # gunicorn does not run on Windows
            raise CommandError("gunicorn is not installed; on Windows use `kefu runserver`.") from None

        from django.db import connections

        from kefu.wsgi import application

        # The migration check opened a connection; forked workers must not inherit it, or
        # they would share one socket to the database and read each other's replies.
        connections.close_all()

        background = []

        def start_background(server):
            # The embedded default: one `kefu worker` beside the web workers, no extra server.
            background.append(subprocess.Popen([sys.executable, "-m", "kefu.cli", "worker"]))

        def stop_background(server):
            for proc in background:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()

        class Server(BaseApplication):
            def load_config(self):
                self.cfg.set("bind", f"{host}:{port}")
                self.cfg.set("workers", workers)
                self.cfg.set("accesslog", "-" if access_log else None)
                self.cfg.set("proc_name", "kefu")
                if worker:
                    self.cfg.set("on_starting", start_background)
                    self.cfg.set("on_exit", stop_background)

            def load(self):
                return application

        self.stdout.write(f"Kefu on http://{host}:{port}/ ({workers} workers, database: {connection.vendor}"
                          f"{', with the background worker' if worker else ''})")
        sys.argv = sys.argv[:1]  # gunicorn parses argv; ours are already handled
        Server().run()
