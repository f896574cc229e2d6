import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from dgov.cases.clock import tick
from dgov.core.context import RequestContext, use_context


class Command(BaseCommand):
    help = ("Cases: the daily clock run. Cases without an acceptance decision or correction notice 5 working "
            "days after receipt count as accepted; the departments are warned of cases due soon (yellow) or "
            "today (red), once per level; overdue cases are escalated to the supervisors, once. Run daily "
            "(e.g. from cron: `dgov manage cases_tick`).")

    def add_arguments(self, parser):
        parser.add_argument("--today", help="the day to count from (YYYY-MM-DD; default: today)")

    def handle(self, *args, today=None, **options):
        try:
            day = dt.date.fromisoformat(today) if today else None
        except ValueError:
            raise CommandError(f"--today: not a date (YYYY-MM-DD): {today}") from None
        with use_context(RequestContext(source="cli")):
            result = tick(day)
        self.stdout.write(f"cases: {result['deemed_accepted']} accepted by law, {result['warnings']} warned, "
                          f"{result['escalated']} escalated, messages sent: {result['messages']}")
