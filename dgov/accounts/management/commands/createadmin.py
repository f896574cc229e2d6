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
from dgov.core.errors import DgovError, ValidationError
from dgov.orgs.selectors import region_get

# The MLPS separation of duties: the operator creates one account per administrative duty.
KINDS = {
    "system": (["city_admin", "security_admin"], "system + security administrator"),
    "auditor": (["auditor"], "audit administrator"),
    "identity": (["identity_officer"], "identity verification officer"),
}


class Command(BaseCommand):
    help = ("Create an administrator with a TOTP second factor (its secret is printed once), holding one "
            "administrative duty over all data: --kind system (system + security administrator, the default), "
            "auditor (audit administrator) or identity (identity verification officer). Run by the server "
            "operator; roles cannot be escalated from inside the platform.")

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=sorted(KINDS), default="system")
        parser.add_argument("--username", default="admin")
        parser.add_argument("--real-name", default="")
        parser.add_argument("--password", help="omit to be asked (recommended: it stays out of shell history)")
        parser.add_argument("--region", help="limit the duty to this region and below (6 or 12-digit code, e.g. "
                                             "360603 for 余江区); default: all data")

    def handle(self, *args, kind, username, real_name, password, region=None, **options):
        roles, title = KINDS[kind]
        scope_region = None
        if region:
            try:
                scope_region = region_get(region)
            except DgovError as exc:
                raise CommandError(f"--region {region}: {exc.message}") from None
        if User.objects.filter(username=username).exists():
            raise CommandError(f"user {username!r} exists already")
        if Role.objects.filter(code__in=roles).count() != len(roles):
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
                user = new_user(username, password, kind=UserKind.OFFICIAL, real_name=real_name,
                                region=scope_region)
            except (DjangoValidationError, ValidationError) as exc:
                raise CommandError(str(exc)) from None
            for code in roles:
                RoleAssignment.objects.create(user=user, role=Role.objects.get(code=code),
                                              scope_kind="region" if scope_region else "all", region=scope_region)
            device = TotpDevice.objects.create(user=user, secret=pyotp.random_base32(), confirmed=True)
            audit.record("accounts.user.create", user, changes={"roles": roles})
        self.stdout.write(f"created {username} ({title}, {scope_region.name if scope_region else 'all data'})")
        self.stdout.write("Add this to an authenticator app now; it is not shown again:")
        self.stdout.write(f"  secret: {device.secret}")
        self.stdout.write(f"  uri:    {totp_uri(device)}")
