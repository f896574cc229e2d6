"""Mark file packages past their expiry expired and remove their files (daily, like `sharing_remind`)."""

from django.core.management.base import BaseCommand

from dgov.fileexchange.services import purge_expired


class Command(BaseCommand):
    help = "Expire file packages past their expiry and remove their files."

    def handle(self, *args, **options):
        self.stdout.write(f"file packages expired: {purge_expired()}")
