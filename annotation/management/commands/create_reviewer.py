"""`manage.py create_reviewer NAME [--password P] [--token]`: a user in the Reviewers group."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation.demo.setup import DemoSetupError, ensure_reviewer


class Command(BaseCommand):
    help = (
        "Create a reviewer (or update an existing user): sets the password, adds the user to the "
        "Reviewers group. Without --password a password is generated and printed. With --token the last "
        "line printed is the reviewer's API token (DRF token authentication)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="user name")
        parser.add_argument("--password", default=None, help="password (default: generate one)")
        parser.add_argument("--email", default="", help="e-mail address (optional)")
        parser.add_argument("--token", action="store_true", help="also create an API token, printed last")

    def handle(self, *args: object, **options: object) -> None:
        name = str(options["name"]).strip()
        if not name:
            raise CommandError("the reviewer needs a non-empty NAME")
        password = options["password"]
        if password is not None and not str(password):
            raise CommandError("--password must not be empty (leave it out to generate one)")
        if password is not None:
            try:
                validate_password(str(password))
            except ValidationError as exc:
                raise CommandError(f"--password refused: {' '.join(exc.messages)}")
        try:
            user, created, password = ensure_reviewer(name, password, email=str(options["email"]))
        except DemoSetupError as exc:
            raise CommandError(str(exc))
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} reviewer {user.username!r} (group Reviewers)."))
        self.stdout.write(f"password: {password}")
        if options["token"]:
            from rest_framework.authtoken.models import Token

            token, _ = Token.objects.get_or_create(user=user)
            self.stdout.write("API token (header `Authorization: Token <token>`):")
            self.stdout.write(token.key)
