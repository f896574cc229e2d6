import datetime as dt
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dgov.core import audit
from dgov.core.context import RequestContext, use_context
from dgov.crypto.keys import verify_master_key
from dgov.exchange import chain, limits, offline


class Command(BaseCommand):
    help = ("The exchange log: `verify` its SM3 hash chain (or an exported FILE, offline), `export` it as "
            "JSON Lines that verify offline, `seal` pending entries and prune expired nonces and counters.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="exit 0 when the chain is intact; otherwise name the first broken "
                                               "entry")
        verify.add_argument("--file", help="verify an exported file instead of the database (needs no database)")
        export = sub.add_parser("export", help="write the sealed chain to a JSON Lines file")
        export.add_argument("--output", required=True, help="file to write")
        export.add_argument("--since", help="start at the first entry on or after this date (YYYY-MM-DD)")
        sub.add_parser("seal", help="seal pending entries; prune nonces and counters past their windows")

    def handle(self, *args, action, **options):
        if action == "verify" and options.get("file"):
            with open(options["file"], encoding="utf-8") as fh:
                ok, _checked, message = offline.verify_lines(fh)
            (self.stdout if ok else self.stderr).write(f"exchange log export {'intact' if ok else 'BROKEN'}: "
                                                       f"{message}")
            if not ok:
                sys.exit(1)
            return
        try:
            verify_master_key()  # the head file's MAC is under a key derived from it
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        with use_context(RequestContext(source="cli")):
            if action == "verify":
                result = chain.verify()
                audit.record("exchange.log.verify", audit.Target("exchange.exchangelogentry"), changes={
                    "ok": result.ok, "checked": result.checked, "broken_seq": result.broken_seq})
                if result.ok:
                    self.stdout.write(f"exchange log intact: {result.checked} entries")
                    return
                self.stderr.write(f"exchange log BROKEN at entry #{result.broken_seq}: {result.reason}")
                sys.exit(1)
            elif action == "export":
                since = None
                if options.get("since"):
                    try:
                        day = dt.date.fromisoformat(options["since"])
                    except ValueError:
                        raise CommandError("--since takes a date, YYYY-MM-DD") from None
                    since = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
                with open(options["output"], "w", encoding="utf-8") as fh:
                    result = chain.export(fh, since=since)
                audit.record("exchange.log.export", audit.Target("exchange.exchangelogentry"), changes={
                    "format": "jsonl", "entries": result.entries, "first_seq": result.first_seq,
                    "last_seq": result.last_seq, "end_hash": result.end_hash})
                self.stdout.write(f"wrote {options['output']}: {result.entries} entries, end hash {result.end_hash}")
            elif action == "seal":
                sealed = chain.seal(block=True)
                nonces, counters = limits.prune()
                self.stdout.write(f"sealed {sealed} entries; pruned {nonces} nonces and {counters} counters")
