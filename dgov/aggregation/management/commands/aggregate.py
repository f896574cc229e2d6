"""`dgov aggregate`: data aggregation from the command line.

    dgov aggregate due                 run every scheduled load job whose time has come (cron, every few minutes)
    dgov aggregate run JOB_ID          run one database job now
    dgov aggregate run JOB_ID --file F load a .xlsx/.csv into a file job
    dgov aggregate list                the load jobs, their schedule and last run
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dgov.aggregation import services
from dgov.aggregation.models import LoadRun, SourceMapping
from dgov.core.context import RequestContext, use_context
from dgov.core.errors import DgovError


def _line(run: LoadRun) -> str:
    text = (f"job {run.mapping_id} ({run.mapping.name}): {run.status}, read {run.rows_read}, written "
            f"{run.rows_written}, unchanged {run.rows_unchanged}, rejected {run.rows_rejected}, "
            f"marked deleted {run.rows_deleted}")
    return text + (f"; {run.error}" if run.error else "")


class Command(BaseCommand):
    help = ("Data aggregation: `due` runs the scheduled load jobs whose time has come (run it from cron every few "
            "minutes); `run JOB_ID [--file F]` runs one job now; `list` shows the jobs.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("due", help="run the scheduled jobs whose time has come")
        run = sub.add_parser("run", help="run one load job now")
        run.add_argument("job", type=int, help="the load job's id")
        run.add_argument("--file", help="a .xlsx or .csv for a job loaded from files")
        sub.add_parser("list", help="list the load jobs")

    def handle(self, *args, action, **options):
        with use_context(RequestContext(source="cli")):
            if action == "due":
                runs = services.run_due()
                for run in runs:
                    self.stdout.write(_line(run))
                self.stdout.write(f"scheduled load jobs run: {len(runs)}")
                if any(run.status == LoadRun.Status.FAILED for run in runs):
                    raise CommandError("some loads failed")
                return
            if action == "list":
                for job in SourceMapping.objects.select_related("dataset__entry", "source").order_by("pk"):
                    last = job.runs.order_by("-started_at").first()
                    self.stdout.write(f"{job.pk}\t{job.name}\t{job.dataset.entry.code}\t{job.mode}\t{job.schedule}\t"
                                      f"{'enabled' if job.enabled else 'disabled'}\t"
                                      f"{last.status + ' ' + last.started_at.isoformat() if last else 'never run'}")
                return
            job = SourceMapping.objects.filter(pk=options["job"]).first()
            if job is None:
                raise CommandError(f"no load job {options['job']}")
            try:
                if options.get("file"):
                    path = Path(options["file"])
                    if not path.is_file():
                        raise CommandError(f"no such file: {path}")
                    run = services.load_file(actor=None, mapping=job, name=path.name, data=path.read_bytes())
                else:
                    run = services.run_load(actor=None, mapping=job)
            except DgovError as exc:
                raise CommandError("; ".join(exc.sentences())) from None
            self.stdout.write(_line(run))
            if run.status != LoadRun.Status.SUCCEEDED:
                raise CommandError("the load failed")
