import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dgov.core.context import RequestContext, use_context
from dgov.payments.services import reconcile


class Command(BaseCommand):
    help = ("Payments: reconcile (对账) one day — the payment provider's statement against the platform's "
            "payments and refunds; the run and its discrepancies are stored and shown on the workbench. Run daily "
            "(e.g. from cron: `dgov manage payments_reconcile`, which does yesterday). The provider's address is "
            "DGOV_PAYMENT_PROVIDER_URL (default: DGOV_PUBLIC_URL + /sandbox/payments/).")

    def add_arguments(self, parser):
        parser.add_argument("--day", help="the day to reconcile (YYYY-MM-DD; default: yesterday)")

    def handle(self, *args, day=None, **options):
        try:
            the_day = dt.date.fromisoformat(day) if day else timezone.localdate() - dt.timedelta(days=1)
        except ValueError:
            raise CommandError(f"--day: not a date (YYYY-MM-DD): {day}") from None
        with use_context(RequestContext(source="cli")):
            run = reconcile(actor=None, day=the_day)
        if run.error:
            raise CommandError(f"payments {the_day}: the provider's statement could not be fetched: {run.error}")
        self.stdout.write(f"payments {the_day}: provider {run.provider_count} records, platform {run.platform_count}, "
                          f"{len(run.discrepancies)} discrepancies")
        if run.discrepancies:
            for d in run.discrepancies:
                self.stdout.write(f"  {d['kind']}: {d['type']} {d['number']}")
