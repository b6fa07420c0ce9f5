"""`manage.py line_usage [--month YYYY-MM] [--json]`: generations used this month against the limits."""

from __future__ import annotations

import json
import re

from django.core.management.base import BaseCommand, CommandError, CommandParser

from line_bot import quota


class Command(BaseCommand):
    help = (
        "Show this month's LINE bot usage (Asia/Tokyo months); with --json the last line is one JSON object."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", help="YYYY-MM (default: this month in Asia/Tokyo)")
        parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")

    def handle(self, *args: object, **options: object) -> None:
        month = options.get("month")
        if month and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(month)):
            raise CommandError(f"--month {month!r}: expected YYYY-MM, e.g. 2026-11")
        report = quota.usage_report(str(month) if month else None)
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False))
            return
        self.stdout.write(f"Month {report['month']} (Asia/Tokyo)")
        self.stdout.write(
            f"  generations used: {report['used']} of {report['limit']} ({report['remaining']} left)"
        )
        self.stdout.write(
            f"  per-user limit:   {report['user_limit'] if report['user_limit'] is not None else 'none'}"
        )
        self.stdout.write(f"  closed answers:   {report['closed_replies']}")
        sent = report["deliveries"]
        self.stdout.write(
            f"  sent by reply:    {sent['reply']} (free)   by push: {sent['push']} (counted by LINE)"
        )
        for user in report["users"][:20]:
            self.stdout.write(f"    {user['line_id']}  {user['used']}")
