from dgov.core.management.daily import DailyCommand
from dgov.metadata.models import Harvest
from dgov.metadata.services import harvest_all


class Command(DailyCommand):
    help = ("Metadata: the daily harvest of the data store and every registered source database (tables, "
            "columns, keys, comments, row counts, sizes, and the changes since the previous harvest, told to "
            "the owning departments). Run daily (e.g. from cron: `dgov manage metadata_harvest`).")

    def run(self, day):
        harvests = harvest_all(trigger=Harvest.Trigger.SCHEDULED)
        failed = [h for h in harvests if h.status == Harvest.Status.FAILED]
        lines = [f"metadata: {len(harvests)} harvests, {len(failed)} failed, "
                 f"{sum(h.changes for h in harvests)} changes"]
        lines += [f"  failed: {h.location_label}: {h.error}" for h in failed]
        return "\n".join(lines)
