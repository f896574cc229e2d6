import os

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from dgov.core.context import RequestContext, use_context
from dgov.crypto.keys import MasterKeyMismatch, ensure_master_key


class Command(BaseCommand):
    help = ("Migrate the database and load reference data (regions, departments, roles, working-day "
            "calendar); with --demo also demo accounts and records. Safe to run again: creates no duplicates.")

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="also load demo accounts and demo records")
        parser.add_argument("--no-static", action="store_true", help="skip collecting static files")
        parser.add_argument("--update-reference", action="store_true",
                            help="also reset shipped reference rows (regions, departments, calendar days) that "
                                 "were edited locally to the data files' values (e.g. after a new NBS edition)")

    def handle(self, *args, demo=False, no_static=False, update_reference=False, verbosity=1, **options):
        def out(line):
            if verbosity:
                self.stdout.write(f"  {line}")

        call_command("migrate", interactive=False, verbosity=0)
        out("database migrated")
        try:
            ensure_master_key()
        except MasterKeyMismatch as exc:
            raise CommandError(str(exc)) from None
        out(f"master key: {'DGOV_MASTER_KEY' if os.environ.get('DGOV_MASTER_KEY') else settings.MASTER_KEY_FILE}")
        with use_context(RequestContext(source="cli")):
            for config in apps.get_app_configs():
                if hasattr(config, "load_reference"):
                    config.load_reference(out, update=update_reference)
            if demo:
                for config in apps.get_app_configs():
                    if hasattr(config, "load_demo"):
                        config.load_demo(out)
        if not no_static:
            call_command("collectstatic", interactive=False, verbosity=0)
            out(f"static files collected into {settings.STATIC_ROOT}")
        if demo:
            out(f"demo logins written to {settings.DATA_DIR / 'demo-accounts.json'}")
