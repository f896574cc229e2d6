"""`{% load governance %}{% entry_governance entry %}`: on a catalog entry's page, where its data comes from
and goes (lineage), its data contract (ODCS YAML), its latest quality score and its consumers' ratings. A
template-level link: the catalog imports nothing from this app."""

from django import template
from django.db.models import Avg, Count

from dgov.core.permissions import has_permission
from dgov.governance.lineage import latest_scores
from dgov.governance.models import ResourceFeedback
from dgov.metadata.models import DATASTORE, MetaTable

register = template.Library()


@register.inclusion_tag("governance/_entry_governance.html", takes_context=True)
def entry_governance(context, entry):
    user = context["request"].user
    dataset = getattr(entry, "dataset", None) if entry.status == "published" else None
    table = (MetaTable.objects.restrict(user, "view").filter(location=DATASTORE, dataset=dataset,
                                                              dropped_at__isnull=True).first()
             if dataset is not None else None)
    ratings = (ResourceFeedback.objects.restrict(user, "view").filter(entry=entry)
               .aggregate(mean=Avg("score"), count=Count("pk")))
    return {"entry": entry, "published": entry.status == "published", "table": table,
            "score": latest_scores([table.pk]).get(table.pk) if table else None, "ratings": ratings,
            "may_rate": has_permission(user, ResourceFeedback, "add")}
