"""Reads of one-thing bundles: the public list and guides, the applicant's own applications, the bundle a
case belongs to and its siblings as an official may see them (their case scope)."""

from dgov.bundles.models import Bundle, BundleApplication, BundleCase, BundleStatus
from dgov.core import audit
from dgov.core.errors import NotFound


def published_bundles():
    return Bundle.objects.filter(status=BundleStatus.PUBLISHED).order_by("audience", "code")


def bundle_by_code(code: str) -> Bundle:
    """The published bundle with this code, or NotFound."""
    found = published_bundles().filter(code=str(code or "")[:40]).first()
    if found is None:
        raise NotFound()
    return found


def my_applications(user):
    """The applicant's own bundle applications, drafts among them, newest first."""
    if not getattr(user, "pk", None):
        return BundleApplication.objects.none()
    return (BundleApplication.objects.filter(applicant=user).select_related("bundle")
            .order_by("-submitted_at", "-updated_at", "-pk"))


def own_application(user, *, pk: int | None = None, reference: str | None = None) -> BundleApplication:
    """One of the applicant's own applications (by id or reference); NotFound for anyone else's."""
    qs = my_applications(user)
    found = qs.filter(pk=pk).first() if pk is not None else qs.filter(reference=reference or "").first()
    if found is None:
        raise NotFound()
    audit.record_read(found, ["answers"], actor=user)
    return found


def link_of(case) -> BundleCase | None:
    """The case's link to the bundle application it was fanned out from, or None."""
    return (BundleCase.objects.filter(case_id=case.pk).select_related("application__bundle")
            .first())


def siblings(user, case) -> list:
    """The other cases of the case's bundle application that `user` may view (their case scope)."""
    from dgov.cases.models import Case

    link = link_of(case)
    if link is None:
        return []
    ids = BundleCase.objects.filter(application=link.application).exclude(case_id=case.pk).values("case_id")
    return list(Case.objects.restrict(user, "view").filter(pk__in=ids)
                .select_related("department").order_by("bundle_link__order", "pk"))
