"""Settings for the test suite: the real settings, with a file-backed SQLite test database.

The test database is a file (not SQLite's in-memory default) so that a real Celery worker
or a server started by a test, in another process, reads what the test wrote.
"""

import os
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("MARISA_DATA_DIR", str(_REPO / "var" / "test"))

from .settings import *  # noqa: E402,F403
from .settings import DATA_DIR, DATABASES  # noqa: E402

DATA_DIR.mkdir(parents=True, exist_ok=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
