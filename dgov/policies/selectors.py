"""Reads of enterprise policies: what the public sees, what an enterprise sees of itself, and the
officials' scoped lists."""

from django.db.models import Q
from django.utils import timezone

from dgov.core.errors import NotFound
from dgov.policies.models import EnterpriseProfile, Policy, PolicyKind, PolicyMatch, PolicyStatus


def public_policies():
    """Published policies in force (public, without login), newest first."""
    today = timezone.localdate()
    return (Policy.objects.filter(status=PolicyStatus.PUBLISHED, valid_from__lte=today)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
            .select_related("department").order_by("-valid_from", "pk"))


def public_policy(pk) -> Policy:
    try:
        return public_policies().get(pk=int(pk))
    except (Policy.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def enterprise_of(user):
    """The enterprise whose own account `user` is (None for anyone else)."""
    return getattr(user, "enterprise", None) if getattr(user, "kind", "") == "enterprise" else None


def matches_of(enterprise):
    """The enterprise's eligible matches of policies that are published or were (expired), newest first."""
    return (PolicyMatch.objects.filter(enterprise=enterprise, eligible=True)
            .exclude(policy__status=PolicyStatus.DRAFT)
            .select_related("policy__department", "case").order_by("-matched_at", "pk"))


def could_apply(enterprise):
    """Published 申报 policies in force the data did not find the enterprise eligible for (it may still apply
    if it thinks it qualifies: the data can be incomplete)."""
    eligible = PolicyMatch.objects.filter(enterprise=enterprise, eligible=True).values("policy_id")
    return public_policies().filter(kind=PolicyKind.APPLY).exclude(pk__in=eligible)


def profile_of(enterprise):
    return EnterpriseProfile.objects.filter(enterprise=enterprise).select_related("region").first()


def visible_matches(user):
    return PolicyMatch.objects.restrict(user, "view").select_related("policy__department", "enterprise", "case")
