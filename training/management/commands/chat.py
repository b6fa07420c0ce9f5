"""`manage.py chat`: talk with the active model version (or --version ID) in the terminal.

Recent history within a token budget is the prompt, as the bot does; `/reset` forgets the history,
`/quit` or end of input (Ctrl-D) ends the conversation.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from training.management.commands._sampling import add_sampling_arguments, sampling_from_options
from training.train.models import ModelVersion


class Command(BaseCommand):
    help = "Chat with the active model version in the terminal (/reset, /quit)."
    stealth_options = ("stdin",)

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # `--version ID` names a model version here, in place of Django's own --version flag.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--version", type=int, help="model version id (default: the active one)")
        parser.add_argument("--history-tokens", type=int, default=256, help="history token budget")
        parser.add_argument("--4bit", dest="load_in_4bit", action="store_true", help="load the base in 4-bit")
        add_sampling_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        version = self._version(options["version"])
        stdin = options.get("stdin") or sys.stdin
        from training.core.sampling import SamplingSettings
        from training.core.textformat import Turn
        from training.generate.run import load_generator
        from training.train.data import character_spec

        settings = SamplingSettings.from_dict(sampling_from_options(options))
        character = character_spec(version.snapshot.character if version.snapshot else None)
        self.stdout.write(f"loading {version.name} ({version.base_model}) ...")
        generator = load_generator(version, options["load_in_4bit"])
        self.stdout.write(
            f"Talk to {character.prompt_name}: /reset forgets the history, /quit or Ctrl-D ends."
        )
        history: list[Any] = []
        while True:
            self.stdout.write(f"{character.user_name}> ", ending="")
            self.stdout.flush()
            line = stdin.readline()
            if not line:
                self.stdout.write("")
                break
            text = line.strip()
            if text == "/quit":
                break
            if text == "/reset":
                history = []
                self.stdout.write("(history cleared)")
                continue
            if not text:
                continue
            reply = generator.reply(
                history, text, character, settings, history_token_budget=options["history_tokens"]
            )
            self.stdout.write(f"{character.prompt_name}> {reply}")
            history += [Turn(character.user_name, text), Turn(character.prompt_name, reply)]

    def _version(self, version_id: int | None) -> ModelVersion:
        if version_id is not None:
            try:
                return ModelVersion.objects.get(pk=version_id)
            except ModelVersion.DoesNotExist:
                raise CommandError(f"no model version {version_id}")
        version = ModelVersion.active()
        if version is None:
            raise CommandError(
                "no active model version: train one (manage.py train --wait) or activate one on /training/versions/"
            )
        return version
