"""Demo metadata (`dgov init --demo`): the data store and the aggregation demo's source database
(余江区低保信息系统（演示）) are harvested once, so the table pages and a harvest show. Idempotent: a
location that already has a successful harvest is not harvested again (the daily `metadata_harvest`
keeps them current)."""

from dgov.aggregation.demo import DEMO_SOURCE_NAME
from dgov.aggregation.models import SourceDatabase
from dgov.metadata import services
from dgov.metadata.models import Harvest


def load_demo() -> dict:
    harvested, failed = 0, []
    locations = [None, *SourceDatabase.objects.filter(name=DEMO_SOURCE_NAME).select_related("department")]
    for source in locations:
        if Harvest.objects.filter(source=source, status=Harvest.Status.SUCCEEDED).exists():
            continue
        harvest = services.run_harvest(actor=None, source=source, trigger=Harvest.Trigger.SCHEDULED)
        if harvest.status == Harvest.Status.SUCCEEDED:
            harvested += 1
        else:
            failed.append(f"{harvest.location_label}: {harvest.error}")
    return {"harvested": harvested, "failed": failed}
