import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from dgov.core.context import RequestContext, use_context
from dgov.demands.services import remind_overdue


class Command(BaseCommand):
    help = ("Data supply–demand list: tell both sides (in-app) of every demand past its reply deadline; "
            "each overdue demand once. Run daily (e.g. from cron: `dgov manage demands_remind`).")

    def add_arguments(self, parser):
        parser.add_argument("--today", help="the day to count from (YYYY-MM-DD; default: today)")

    def handle(self, *args, today=None, **options):
        try:
            day = dt.date.fromisoformat(today) if today else None
        except ValueError:
            raise CommandError(f"--today: not a date (YYYY-MM-DD): {today}") from None
        with use_context(RequestContext(source="cli")):
            result = remind_overdue(today=day)
        self.stdout.write(f"overdue data demands reminded: {result['demands']}, messages sent: {result['messages']}")
