import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from dgov.core import audit
from dgov.core.context import RequestContext, use_context
from dgov.core.importexport import export_response
from dgov.core.models import AuditEntry
from dgov.core.tables import AuditEntryTable
from dgov.crypto.keys import verify_master_key


class Command(BaseCommand):
    help = "The audit log: `verify` the SM3 hash chain, `export` it (csv/xlsx), `purge` entries past retention."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="exit 0 when the chain is intact; otherwise name the first broken entry")
        export = sub.add_parser("export", help="write the log (or a part of it) to a file")
        export.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        export.add_argument("--output", required=True, help="file to write")
        export.add_argument("--since", help="only entries on or after this date (YYYY-MM-DD)")
        sub.add_parser("purge", help="delete entries older than the retention period (never under 180 days)")

    def handle(self, *args, action, **options):
        if action == "verify":
            try:
                verify_master_key()  # a wrong key would make every entry look edited
            except ImproperlyConfigured as exc:
                raise CommandError(str(exc)) from None
            result = audit.verify()
            if result.ok:
                self.stdout.write(f"audit chain intact: {result.checked} entries"
                                  + (f" (#{result.first_seq}–#{result.last_seq})" if result.checked else ""))
                return
            self.stderr.write(f"audit chain BROKEN at entry #{result.broken_seq} (id {result.broken_id}): "
                              f"{result.reason}")
            sys.exit(1)
        with use_context(RequestContext(source="cli")):
            if action == "export":
                qs = AuditEntry.objects.order_by("seq")
                if options.get("since"):
                    qs = qs.filter(occurred_at__date__gte=options["since"])
                response = export_response(AuditEntryTable, qs.iterator(chunk_size=2000), fmt=options["format"],
                                           filename="audit")
                with open(options["output"], "wb") as fh:
                    fh.write(response.content)
                audit.record("core.auditentry.export", audit.Target("core.auditentry"),
                             changes={"format": options["format"], "since": options.get("since")})
                self.stdout.write(f"wrote {options['output']}")
            elif action == "purge":
                count = audit.purge()
                self.stdout.write(f"purged {count} entries older than the retention period")
            else:
                raise CommandError(f"unknown action {action}")
