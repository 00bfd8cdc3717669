"""The `kefu` command: Kefu's own commands (serve, demo, seed, token, …) and every Django
management command (migrate, createsuperuser, check, …) under one name."""

import os
import sys


def main(argv=None):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "kefu"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
