#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marisa_site.settings")
    from django.core.management import execute_from_command_line

    from marisa_site.env import SettingsError
    from marisa_site.up import load_up_env

    # What `make up` set up (its key, database, broker, LINE stand-in), for each variable not set here.
    load_up_env(os.environ)
    try:
        execute_from_command_line(sys.argv)
    except SettingsError as exc:  # a missing or malformed setting: its message, not a traceback
        sys.exit(f"manage.py: {exc}")


if __name__ == "__main__":
    main()
