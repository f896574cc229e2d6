"""Mark licences past their validity expired (daily, like `sharing_remind`)."""

from django.core.management.base import BaseCommand

from dgov.licenses.services import expire_due


class Command(BaseCommand):
    help = "Mark valid electronic licences whose validity has ended as expired (audited, with an event each)."

    def handle(self, *args, **options):
        self.stdout.write(f"licences expired: {expire_due()}")
