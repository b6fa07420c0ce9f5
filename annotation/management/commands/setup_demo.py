"""`manage.py setup_demo [--json]`: demo character, accounts, corpus and questions; safe to re-run."""

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation.demo.setup import DemoSetupError, setup_demo


class Command(BaseCommand):
    help = (
        "Load the demo: the default character, the Reviewers group, a demo admin and reviewer (passwords "
        "generated once, kept in $MARISA_DATA_DIR/demo_credentials.txt and printed), the bundled corpus "
        "and the 'demo' question set. Running it again adds nothing twice and keeps existing data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print a JSON summary as the last line")

    def handle(self, *args: object, **options: object) -> None:
        try:
            result = setup_demo()
        except DemoSetupError as exc:
            raise CommandError(str(exc))
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False))
            return
        corpus, questions = result.corpus, result.questions
        self.stdout.write(f"Character: {result.character}")
        self.stdout.write(
            f"Demo corpus: {corpus['title']} ({corpus['status']}: {corpus['conversations']} conversations, "
            f"{corpus['lines']} lines)"
        )
        self.stdout.write(
            f"Question set '{questions['question_set']}': {questions['total']} questions "
            f"({questions['created']} new)"
        )
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (also in {result.credentials_file}):"))
        for account in result.accounts:
            note = "" if account.status in ("created", "kept") else f"  [{account.status}]"
            self.stdout.write(f"  {account.line()}{note}")
