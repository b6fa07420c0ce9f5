"""Demo data and accounts: what `manage.py setup_demo` (and so `make up`) loads, safely re-runnable.

Everything here is idempotent. A second run finds what the first made and leaves it as it is: the
corpus is not imported twice, questions are not added twice, passwords are generated once and kept in
$MARISA_DATA_DIR/demo_credentials.txt, and an account someone changed is never reset behind their back.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import transaction

from annotation.corpus.models import Character, Line, Source
from marisa_site.roles import reviewers_group

DEMO_DIR = Path(__file__).resolve().parent
CORPUS_PATH = DEMO_DIR / "corpus.txt"
QUESTIONS_PATH = DEMO_DIR / "questions.txt"
CORPUS_TITLE = "デモ: 魔理沙と幻想郷の日常（同梱サンプル）"
QUESTION_SET = "demo"
CREDENTIALS_NAME = "demo_credentials.txt"
# role -> (user name, superuser?)
DEMO_ACCOUNTS = {"admin": ("admin", True), "reviewer": ("reviewer", False)}


class DemoSetupError(Exception):
    """The demo data could not be loaded; str(exc) says what and why in one line."""


@dataclass
class DemoAccount:
    role: str
    username: str
    password: str | None  # None: not known to the demo (the account existed before, or was changed)
    status: str  # "created", "kept", "kept (password changed since; not shown)", "kept (not a demo account)"

    def line(self) -> str:
        shown = self.password if self.password is not None else "(not shown)"
        return f"{self.role}: {self.username} / {shown}"


@dataclass
class DemoResult:
    character: str
    accounts: list[DemoAccount]
    corpus: dict
    questions: dict
    credentials_file: str
    created: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["accounts"] = [asdict(a) for a in self.accounts]
        return out


def generate_password() -> str:
    # URL-safe and free of look-alike ambiguity issues for copy-paste from a terminal.
    return secrets.token_urlsafe(12)


def _validate_username(name: str) -> None:
    user_model = get_user_model()
    try:
        user_model.username_validator(name)
    except ValidationError as exc:
        raise DemoSetupError(f"invalid user name {name!r}: {' '.join(exc.messages)}")


def ensure_reviewer(
    name: str, password: str | None = None, *, email: str = ""
) -> tuple[AbstractUser, bool, str]:
    """Create or update `name` as a reviewer with `password` (generated when None).

    Returns (user, created, password). The user is added to the Reviewers group.
    """
    _validate_username(name)
    password = password or generate_password()
    user_model = get_user_model()
    with transaction.atomic():
        user, created = user_model.objects.get_or_create(username=name)
        user.set_password(password)
        if email:
            user.email = email
        user.is_active = True
        user.save()
        user.groups.add(reviewers_group())
    return user, created, password


def credentials_path() -> Path:
    return Path(settings.DATA_DIR) / CREDENTIALS_NAME


def read_credentials(path: Path) -> dict[str, tuple[str, str]]:
    """Lines "role: username / password"; anything else (comments, blank) is ignored."""
    found: dict[str, tuple[str, str]] = {}
    if not path.exists():
        return found
    for line in path.read_text(encoding="utf-8").splitlines():
        role, sep, rest = line.partition(":")
        username, slash, password = rest.partition(" / ")
        if sep and slash and role.strip() in DEMO_ACCOUNTS and password.strip():
            found[role.strip()] = (username.strip(), password.strip())
    return found


def write_credentials(path: Path, creds: dict[str, tuple[str, str]]) -> None:
    """Written atomically and readable by the owner only: these are live passwords."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Exactly the documented lines: `manage.py up` prints this file as it is.
    lines = [f"{role}: {username} / {password}" for role, (username, password) in creds.items()]
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def ensure_demo_accounts(path: Path | None = None) -> list[DemoAccount]:
    """The demo admin (superuser) and reviewer; both in Reviewers so the admin can try the queue too."""
    path = path or credentials_path()
    stored = read_credentials(path)
    user_model = get_user_model()
    group = reviewers_group()
    accounts = []
    for role, (username, superuser) in DEMO_ACCOUNTS.items():
        user = user_model.objects.filter(username=username).first()
        known = stored.get(role)
        if user is None:
            password = known[1] if known and known[0] == username else generate_password()
            user = _create_demo_user(username, password, superuser)
            stored[role] = (username, password)
            accounts.append(DemoAccount(role, username, password, "created"))
        elif known and known[0] == username:
            status = "kept" if user.check_password(known[1]) else "kept (password changed since; not shown)"
            accounts.append(DemoAccount(role, username, known[1] if status == "kept" else None, status))
        else:
            # An account of that name that the demo did not make: its password is not ours to reset.
            accounts.append(DemoAccount(role, username, None, "kept (not a demo account)"))
        user.groups.add(group)
    write_credentials(path, stored)
    return accounts


def _create_demo_user(username: str, password: str, superuser: bool) -> AbstractUser:
    user_model = get_user_model()
    if superuser:
        return user_model.objects.create_superuser(username=username, email="", password=password)
    return user_model.objects.create_user(username=username, password=password)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_demo_corpus(user: AbstractUser | None = None) -> dict:
    """Import the bundled corpus once; an earlier import of it (same bytes or title) counts as loaded."""
    existing = Source.objects.filter(sha256=_sha256(CORPUS_PATH)).first()
    existing = existing or Source.objects.filter(title=CORPUS_TITLE).first()
    if existing:
        return _corpus_summary(existing, "already loaded")
    try:
        from annotation.corpus.importing import DuplicateImport, ImportFailed, import_path
    except ImportError as exc:
        raise DemoSetupError(f"the corpus importer is not available ({exc})")
    try:
        result = import_path(CORPUS_PATH, fmt="script", title=CORPUS_TITLE, user=user)
    except DuplicateImport:
        # Another process loaded it between our check and this import.
        return _corpus_summary(Source.objects.get(sha256=_sha256(CORPUS_PATH)), "already loaded")
    except ImportFailed as exc:
        raise DemoSetupError(f"the demo corpus {CORPUS_PATH.name} could not be imported: {exc}")
    return _corpus_summary(result.source, "imported")


def _corpus_summary(source: Source, status: str) -> dict:
    return {
        "status": status,
        "source_id": source.pk,
        "title": source.title,
        "conversations": source.conversations.count(),
        "lines": Line.objects.filter(conversation__source=source).count(),
    }


def load_demo_questions() -> dict:
    from annotation.review.questions import QuestionImportError, import_questions_file

    try:
        result = import_questions_file(QUESTIONS_PATH, QUESTION_SET)
    except QuestionImportError as exc:
        raise DemoSetupError(f"the demo questions could not be imported: {exc}")
    return result.as_dict()


def setup_demo() -> DemoResult:
    """Load everything the demo needs. Safe to run any number of times."""
    character = Character.default()
    reviewers_group()
    accounts = ensure_demo_accounts()
    admin = get_user_model().objects.filter(username=DEMO_ACCOUNTS["admin"][0]).first()
    questions = load_demo_questions()
    corpus = load_demo_corpus(user=admin)
    created = [f"account {a.username}" for a in accounts if a.status == "created"]
    if corpus["status"] == "imported":
        created.append("demo corpus")
    if questions["created"]:
        created.append(f"{questions['created']} demo questions")
    return DemoResult(character.name, accounts, corpus, questions, str(credentials_path()), created)
