import getpass

import pyotp
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dgov.accounts.models import Role, RoleAssignment, TotpDevice, User, UserKind
from dgov.accounts.services import new_user, totp_uri
from dgov.core import audit
from dgov.core.context import RequestContext, use_context
from dgov.core.errors import ValidationError


class Command(BaseCommand):
    help = ("Create the first administrator: an official holding the system and security administrator roles "
            "over all data, with a TOTP second factor (its secret is printed once).")

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--real-name", default="")
        parser.add_argument("--password", help="omit to be asked (recommended: it stays out of shell history)")

    def handle(self, *args, username, real_name, password, **options):
        if User.objects.filter(username=username).exists():
            raise CommandError(f"user {username!r} exists already")
        if not Role.objects.filter(code="city_admin").exists():
            raise CommandError("built-in roles are missing: run `dgov init` first")
        if password is None:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Repeat: "):
                raise CommandError("the passwords differ")
        try:
            validate_password(password, User(username=username))
        except DjangoValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        with use_context(RequestContext(source="cli")), transaction.atomic():
            try:
                user = new_user(username, password, kind=UserKind.OFFICIAL, real_name=real_name)
            except (DjangoValidationError, ValidationError) as exc:
                raise CommandError(str(exc)) from None
            for code in ("city_admin", "security_admin"):
                RoleAssignment.objects.create(user=user, role=Role.objects.get(code=code), scope_kind="all")
            device = TotpDevice.objects.create(user=user, secret=pyotp.random_base32(), confirmed=True)
            audit.record("accounts.user.create", user, changes={"roles": ["city_admin", "security_admin"]})
        self.stdout.write(f"created {username} (system + security administrator, all data)")
        self.stdout.write("Add this to an authenticator app now; it is not shown again:")
        self.stdout.write(f"  secret: {device.secret}")
        self.stdout.write(f"  uri:    {totp_uri(device)}")
