from django.core.management.base import BaseCommand, CommandError

from dgov.core.checks import FAIL, WARN, run_all


class Command(BaseCommand):
    help = "Deployment self-check: secret, keys, debug, database, migrations, crypto, font, audit chain, calendar."

    def handle(self, *args, **options):
        results = run_all()
        marks = {"ok": self.style.SUCCESS("OK  "), WARN: self.style.WARNING("WARN"), FAIL: self.style.ERROR("FAIL")}
        for label, status, message in results:
            self.stdout.write(f"{marks[status]} {label:<22} {message}")
        failed = [label for label, status, _ in results if status == FAIL]
        if failed:
            raise CommandError(f"{len(failed)} check(s) failed: {', '.join(failed)}")
