from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from dgov.core.context import RequestContext, use_context
from dgov.core.errors import DgovError
from dgov.crypto.keys import verify_master_key
from dgov.crypto.primitives import backend_description
from dgov.kms import services
from dgov.kms.models import Key


class Command(BaseCommand):
    help = ("The cryptography service: `list` keys, `rotate NAME` (a blind-index key re-indexes its "
            "columns), `rewrap-fields` (re-encrypt personal data under the field key's latest version "
            "and retire the older ones).")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="every key with its type, owner, versions and state")
        rotate = sub.add_parser("rotate", help="add a new version to a key")
        rotate.add_argument("name")
        sub.add_parser("rewrap-fields", help="re-encrypt every encrypted column under the latest field key")

    def handle(self, *args, action, **options):
        try:
            verify_master_key()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        if action == "list":
            self.stdout.write(f"backend: {backend_description()}")
            for key in Key.objects.select_related("department").order_by("name"):
                state = "enabled" if key.enabled else "DISABLED"
                self.stdout.write(f"{key.name:<32} {key.type:<9} v{key.latest_version} "
                                  f"(min decrypt v{key.min_decryption_version}) {state:<8} {key.department.name}")
            return
        with use_context(RequestContext(source="cli")):
            try:
                if action == "rotate":
                    key = Key.objects.filter(name=options["name"]).first()
                    if key is None:
                        raise CommandError(f"no key named {options['name']!r}")
                    key = services.key_rotate(actor=None, key=key, system=True)
                    self.stdout.write(f"{key.name}: now at version {key.latest_version}")
                elif action == "rewrap-fields":
                    counts = services.rewrap_fields()
                    for label, count in counts.items():
                        self.stdout.write(f"{label}: {count} rows re-encrypted")
                    key = Key.objects.get(name=services.FIELD_KEY)
                    self.stdout.write(f"{key.name}: versions below v{key.min_decryption_version} retired")
            except DgovError as exc:
                raise CommandError(str(exc.message)) from None
