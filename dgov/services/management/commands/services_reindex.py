"""Rebuild the guides' search text (after a change of `dgov.services.search.ALIASES`, or of department names)."""

from django.core.management.base import BaseCommand

from dgov.services.services import reindex_all


class Command(BaseCommand):
    help = "Rebuild the search text of every implementation list entry (the guides' Chinese search)."

    def handle(self, *args, **options):
        changed, total = reindex_all()
        self.stdout.write(f"service guides re-indexed: {changed} changed of {total}")
