"""Reference data of dgov.opendata: the portal's topics (`data/topics.csv`, its source in `data/README.md`)."""

import csv
from pathlib import Path

from dgov.core.cache import OPEN_DATA
from dgov.opendata.models import Topic

DATA = Path(__file__).resolve().parent / "data"


def load_topics(*, update: bool = False) -> int:
    """Create the built-in topics (and with `update`, bring their names and themes back to the file's);
    returns how many were created or changed. Idempotent."""
    changed = 0
    with open(DATA / "topics.csv", encoding="utf-8", newline="") as f:
        for position, row in enumerate(csv.DictReader(f)):
            values = {"name": row["name"], "description": row["description"], "eu_theme": row["eu_theme"],
                      "position": position, "is_builtin": True}
            topic, created = Topic.objects.get_or_create(code=row["code"], defaults=values)
            if created:
                changed += 1
            elif update and any(getattr(topic, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(topic, k, v)
                topic.save()
                changed += 1
    if changed:  # the portal's kept summaries name the topics
        OPEN_DATA.bump_now_and_on_commit()
    return changed
