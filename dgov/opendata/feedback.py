"""The public's voice on open data: data requests (数据需求) with the departments' answers, and ratings with
comments on datasets.

- A signed-in user asks a department for data it does not open yet (title, description). The department's data
  administrator answers: answered (with a text), to be opened (planned), or cannot be opened (declined, with
  the reason); an answer may name the dataset it opened. Requests and answers are public.
- A signed-in user sends an application built on open data (应用成果: title, description, address, the datasets
  it uses); the big-data centre's reviewer shows it on the portal.
- A signed-in user rates a published dataset 1–5 with an optional comment, once (a second rating changes the
  first); the big-data centre's reviewer hides a comment that breaks the rules (the rating still counts).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.core import audit
from dgov.core.errors import Conflict, PermissionDenied, ValidationError
from dgov.core.permissions import require_in_scope, require_permission
from dgov.opendata.models import DataRequest, DatasetRating, DatasetStatus, OpenDataset, RequestStatus, Showcase

#: the kinds of department a data request may be addressed to
ASKED_KINDS = ("department", "institution")


def _signed_in(actor) -> None:
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied()


def request_create(*, actor, title: str, description: str, department) -> DataRequest:
    _signed_in(actor)
    errors = {}
    if not title.strip():
        errors["title"] = [_("Give the request a title.")]
    if not description.strip():
        errors["description"] = [_("Say what data you need and what for.")]
    if errors:
        raise ValidationError(details=errors)
    with transaction.atomic():
        item = DataRequest.objects.create(title=title.strip(), description=description.strip(), requester=actor,
                                          department=department)
        audit.record("opendata.datarequest.create", item, actor=actor)
    return item


def request_answer(*, actor, item: DataRequest, status: str, answer: str,
                   dataset: OpenDataset | None = None) -> DataRequest:
    with transaction.atomic():
        require_permission(actor, DataRequest, "change")
        item = DataRequest.objects.select_for_update().get(pk=item.pk)
        require_in_scope(actor, "change", item)
        if status not in (RequestStatus.ANSWERED, RequestStatus.PLANNED, RequestStatus.DECLINED):
            raise ValidationError(details={"status": [_("Choose an answer.")]})
        if not answer.strip():
            raise ValidationError(details={"answer": [_("Write the answer the public will read.")]})
        if dataset is not None and dataset.status != DatasetStatus.PUBLISHED:
            raise ValidationError(details={"dataset": [_("Only a published dataset can be named.")]})
        before = item.status
        item.status, item.answer, item.dataset = status, answer.strip(), dataset
        item.answered_by, item.answered_at = actor, timezone.now()
        item.save(update_fields=["status", "answer", "dataset", "answered_by", "answered_at", "updated_at"])
        audit.record("opendata.datarequest.answer", item, actor=actor, changes={"status": [before, status]})
    return item


def rating_save(*, actor, dataset: OpenDataset, score: int, comment: str = "") -> DatasetRating:
    _signed_in(actor)
    if not 1 <= score <= 5:
        raise ValidationError(details={"score": [_("Give 1 to 5 stars.")]})
    if dataset.status != DatasetStatus.PUBLISHED:
        raise Conflict(_("Only a published dataset is rated."))
    with transaction.atomic():
        rating, created = DatasetRating.objects.update_or_create(
            dataset=dataset, user=actor, defaults={"score": score, "comment": comment.strip()})
        audit.record(f"opendata.datasetrating.{'create' if created else 'change'}", rating, actor=actor,
                     changes={"score": score})
    return rating


def rating_hide(*, actor, rating: DatasetRating, hidden: bool = True) -> DatasetRating:
    with transaction.atomic():
        require_permission(actor, OpenDataset, "review")
        rating.is_hidden = hidden
        rating.save(update_fields=["is_hidden", "updated_at"])
        audit.record("opendata.datasetrating.hide" if hidden else "opendata.datasetrating.show", rating, actor=actor)
    return rating



def showcase_submit(*, actor, title: str, description: str, url: str, datasets: list) -> Showcase:
    """An application built on open data, sent by a signed-in user; shown once the centre accepts it."""
    _signed_in(actor)
    if not datasets:
        raise ValidationError(details={"datasets": [_("Name at least one dataset the application uses.")]})
    with transaction.atomic():
        item = Showcase.objects.create(title=title.strip(), description=description.strip(), url=url.strip(),
                                       submitted_by=actor)
        item.datasets.set(datasets)
        audit.record("opendata.showcase.create", item, actor=actor)
    return item


def showcase_publish(*, actor, item: Showcase, shown: bool) -> Showcase:
    with transaction.atomic():
        require_permission(actor, Showcase, "change")
        item.is_published = shown
        item.save(update_fields=["is_published", "updated_at"])
        audit.record("opendata.showcase.publish" if shown else "opendata.showcase.hide", item, actor=actor)
    return item
