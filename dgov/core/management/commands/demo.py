import json
import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load reference and demo data (init --demo), print the demo logins, then serve."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("DGOV_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("DGOV_PORT", "8000")))

    def handle(self, *args, host, port, **options):
        self.stdout.write("dgov demo: preparing the database (SQLite by default) …")
        call_command("init", demo=True, stdout=self.stdout)
        accounts = json.loads((settings.DATA_DIR / "demo-accounts.json").read_text(encoding="utf-8"))
        self.stdout.write("")
        self.stdout.write(f"Log in at http://{host}:{port}/accounts/login/   (demo data, marked 演示)")
        self.stdout.write(f"{'username':<15} {'password':<16} {'kind':<11} {'role':<28} extra")
        for a in accounts:
            extra = []
            if a.get("totp_secret"):
                extra.append(f"TOTP secret {a['totp_secret']}")
            if a.get("id_number"):
                extra.append(f"ID {a['id_number']}")
            self.stdout.write(f"{a['username']:<15} {a['password']:<16} {a['kind']:<11} {a['role']:<28} "
                              f"{'; '.join(extra)}")
        self.stdout.write("Administrators need a one-time code: add the TOTP secret to an authenticator app,")
        self.stdout.write("or print the current code with:  dgov totp <username>")
        self.stdout.write(f"All of this is in {settings.DATA_DIR / 'demo-accounts.json'}")
        self.stdout.write("")
        call_command("serve", host=host, port=port)
