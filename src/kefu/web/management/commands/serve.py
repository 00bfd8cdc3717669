import os
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

    def handle(self, host, port, workers, access_log, **options):
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

        class Server(BaseApplication):
            def load_config(self):
                self.cfg.set("bind", f"{host}:{port}")
                self.cfg.set("workers", workers)
                self.cfg.set("accesslog", "-" if access_log else None)
                self.cfg.set("proc_name", "kefu")

            def load(self):
                return application

        self.stdout.write(f"Kefu on http://{host}:{port}/ ({workers} workers, database: {connection.vendor})")
        sys.argv = sys.argv[:1]  # gunicorn parses argv; ours are already handled
        Server().run()
