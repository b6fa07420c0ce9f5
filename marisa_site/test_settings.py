"""Settings for the test suite: the real settings, with a file-backed SQLite test database.

The test database is a file (not SQLite's in-memory default) so that a real Celery worker
or a server started by a test, in another process, reads what the test wrote. Each test run
gets its own data directory (exported in the environment, so the processes it starts share it).
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_DEBUG", "1")
if not os.environ.get("MARISA_DATA_DIR"):
    _run_dir = tempfile.mkdtemp(prefix="marisa-test-")
    os.environ["MARISA_DATA_DIR"] = _run_dir
    atexit.register(shutil.rmtree, _run_dir, True)

from marisa_site.settings import *  # noqa: E402,F403
from marisa_site.settings import BASE_DIR, DATA_DIR, DATABASES  # noqa: E402

DATA_DIR.mkdir(parents=True, exist_ok=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Built once and reused across runs: the demo model and other slow, deterministic artefacts.
MARISA_TEST_CACHE_DIR = Path(os.environ.get("MARISA_TEST_CACHE_DIR", BASE_DIR / "var" / "cache"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
