import csv
import datetime as dt
from pathlib import Path

from django.db import transaction

from dgov.calendars.models import CalendarDay
from dgov.core import audit

DATA_FILE = Path(__file__).parent / "data" / "cn-public-holidays.csv"


def load_reference(path: Path = DATA_FILE, *, update: bool = False) -> int:
    """Load the State Council schedules shipped with dgov. Idempotent: adds the days missing; with
    `update`, also resets listed days the city edited. Returns how many days were created or changed."""
    changed = 0
    with path.open(encoding="utf-8") as fh, transaction.atomic():
        for row in csv.DictReader(fh):
            day, created = CalendarDay.objects.get_or_create(
                date=dt.date.fromisoformat(row["date"]),
                defaults={"kind": row["kind"], "festival": row["festival"]})
            if not created and update and (day.kind, day.festival) != (row["kind"], row["festival"]):
                day.kind, day.festival = row["kind"], row["festival"]
                day.save()
                changed += 1
            changed += created
        if changed:
            audit.record("calendars.calendarday.load", audit.Target("calendars.calendarday", "", path.name),
                         changes={"changed": changed})
    return changed
