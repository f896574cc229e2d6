import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from dgov.core.context import RequestContext, use_context
from dgov.sharing.services import expire_grants, remind_overdue


class Command(BaseCommand):
    help = ("Sharing requests: tell the approvers and the consumer (in-app) of every request past its step's "
            "deadline, once per step, and mark expired grants. Run daily (e.g. from cron: "
            "`dgov manage sharing_remind`).")

    def add_arguments(self, parser):
        parser.add_argument("--today", help="the day to count from (YYYY-MM-DD; default: today)")

    def handle(self, *args, today=None, **options):
        try:
            day = dt.date.fromisoformat(today) if today else None
        except ValueError:
            raise CommandError(f"--today: not a date (YYYY-MM-DD): {today}") from None
        with use_context(RequestContext(source="cli")):
            result = remind_overdue(today=day)
            expired = expire_grants()
        self.stdout.write(f"overdue sharing requests reminded: {result['requests']}, messages sent: "
                          f"{result['messages']}, grants expired: {expired}")
