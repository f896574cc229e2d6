from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from dgov.accounts.models import User
from dgov.accounts.services import token_create
from dgov.core.context import RequestContext, use_context


class Command(BaseCommand):
    help = "API tokens: `token create USERNAME` prints a new bearer token as the last line."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token for USERNAME")
        create.add_argument("username")
        create.add_argument("--name", default="cli")
        create.add_argument("--days", type=int, default=90, help="lifetime in days (0: no expiry)")

    def handle(self, *args, action, username, name, days, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        with use_context(RequestContext(source="cli")):
            token, plaintext = token_create(user=user, name=name, lifetime=timedelta(days=days) if days else None)
        self.stderr.write(f"token for {username}" + (f", valid until {token.expires_at:%Y-%m-%d}" if days else ""))
        self.stdout.write(plaintext)
