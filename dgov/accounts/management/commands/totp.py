import json

import pyotp
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Print the current one-time code of a DEMO account (from demo-accounts.json), for trying the demo."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        path = settings.DATA_DIR / "demo-accounts.json"
        try:
            accounts = {a["username"]: a for a in json.loads(path.read_text(encoding="utf-8"))}
        except FileNotFoundError:
            raise CommandError("no demo accounts here: this command only serves `dgov init --demo` data") from None
        secret = accounts.get(username, {}).get("totp_secret")
        if not secret:
            raise CommandError(f"{username!r} is not a demo account with a second factor")
        self.stdout.write(pyotp.TOTP(secret).now())
