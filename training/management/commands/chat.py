"""`manage.py chat`: talk with the active model version (or --version ID) in the terminal.

Recent history within a token budget is the prompt, as the bot does; with MARISA_INFERENCE_URL set the replies
come from the inference engine (training/core/engine.py); `/reset` forgets the history,
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
        from training.core.engine import EngineError
        from training.core.sampling import SamplingSettings
        from training.train.data import character_spec

        version = self._version(options["version"])
        settings = SamplingSettings.from_dict(sampling_from_options(options))
        character = character_spec(version.snapshot.character if version.snapshot else None)
        try:  # the engine being down is a one-line error, not a traceback
            generator = self._load(version, options["load_in_4bit"])
            self._converse(generator, character, settings, options)
        except EngineError as exc:
            raise CommandError(str(exc))

    def _load(self, version: ModelVersion, load_in_4bit: bool) -> Any:
        from django.conf import settings as django_settings

        from training.generate.run import load_generator

        engine = django_settings.MARISA_INFERENCE_URL
        where = f"on the inference engine at {engine}" if engine else f"({version.base_model})"
        self.stdout.write(f"loading {version.name} {where} ...")
        return load_generator(version, load_in_4bit)

    def _converse(self, generator: Any, character: Any, settings: Any, options: dict[str, Any]) -> None:
        from training.core.textformat import Turn

        stdin = options.get("stdin") or sys.stdin
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
