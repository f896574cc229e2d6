"""The daily jobs' command shape (`cases_tick`, `ratings_tick`, `demands_remind` …): an optional `--today`
to count from another day (tests, a missed run), and the work done in a command-line request context so
that its audit entries say where they came from."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dgov.core.context import RequestContext, use_context


class DailyCommand(BaseCommand):
    """Subclasses set `help` and implement `run(day)`, returning the line to print."""

    today_help = "the day to count from (YYYY-MM-DD; default: today)"

    def add_arguments(self, parser):
        parser.add_argument("--today", help=self.today_help)

    def handle(self, *args, today=None, **options):
        try:
            day = dt.date.fromisoformat(today) if today else timezone.localdate()
        except ValueError:
            raise CommandError(f"--today: not a date (YYYY-MM-DD): {today}") from None
        with use_context(RequestContext(source="cli")):
            line = self.run(day)
        self.stdout.write(line)

    def run(self, day: dt.date) -> str:  # pragma: no cover - every subclass implements it
        raise NotImplementedError
