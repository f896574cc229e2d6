"""Reads of dgov.governance for users (pages and the API), each within the user's data scope.

Feedback is seen by the consuming department that gave it (the model's scope) and by the provider: the
officials whose catalog scope covers the rated entry."""

from django.db.models import Q, QuerySet

from dgov.catalog.models import CatalogEntry
from dgov.core.errors import NotFound
from dgov.core.permissions import require_permission, scope_q
from dgov.governance.models import RankingPublication, ResourceFeedback


def _provider_q(user) -> Q:
    q = scope_q(user, CatalogEntry, "change")
    if q is None:
        return Q(pk__in=[])
    return Q(entry__in=CatalogEntry.objects.filter(q).values("pk"))


def visible_feedback(user) -> QuerySet:
    """403 without `view_resourcefeedback`; the consumer's own feedback and the feedback on the user's entries."""
    require_permission(user, ResourceFeedback, "view")
    own = scope_q(user, ResourceFeedback, "view")
    return (ResourceFeedback.objects.filter(own | _provider_q(user))
            .select_related("entry", "entry__department", "department", "author"))


def feedback_for(user, pk: int) -> ResourceFeedback:
    feedback = visible_feedback(user).filter(pk=pk).first()
    if feedback is None:
        raise NotFound()
    return feedback


def filter_feedback(queryset, *, entry: str = "", department: str = "") -> QuerySet:
    if entry:
        queryset = queryset.filter(entry__code=entry)
    if department:
        queryset = queryset.filter(department__code=department)
    return queryset


def visible_publications(user) -> QuerySet:
    require_permission(user, RankingPublication, "view")
    return RankingPublication.objects.restrict(user, "view").select_related("published_by")


def latest_publication() -> RankingPublication | None:
    """The newest published ranking: public, read without a user."""
    return RankingPublication.objects.order_by("-created_at", "-pk").first()
