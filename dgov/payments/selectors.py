"""Reads of public payment: an order for its payer or a scoped official, the orders in scope, the runs."""

from django.db.models import Q, QuerySet

from dgov.core import audit
from dgov.core.errors import NotFound, PermissionDenied
from dgov.core.permissions import has_permission
from dgov.payments.models import FeeOrder, ReconciliationRun


def orders() -> QuerySet:
    return FeeOrder.objects.select_related("case", "department", "region", "payer")


def is_payer(user, order: FeeOrder) -> bool:
    return bool(getattr(user, "pk", None)) and order.payer_id == user.pk


def my_orders(user) -> QuerySet:
    if not getattr(user, "pk", None):
        return FeeOrder.objects.none()
    return orders().filter(payer=user)


def visible_orders(user) -> QuerySet:
    """The orders in the official's view scope (403 without the permission)."""
    if not has_permission(user, FeeOrder, "view"):
        raise PermissionDenied()
    return orders().restrict(user, "view")


def search(qs: QuerySet, *, q: str = "", state: str = "") -> QuerySet:
    if state:
        qs = qs.filter(state=state)
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(case__reference__icontains=q) | Q(receipt_number__icontains=q)
                       | Q(payer_name__icontains=q) | Q(case__title__icontains=q))
    return qs


def order_for(user, number: str) -> FeeOrder:
    """The order `number` for its payer or an official with it in view scope (the read audited); else 404
    (403 for an official holding no permission on orders)."""
    order = orders().filter(number=number).first() if number else None
    if order is not None and is_payer(user, order):
        return order
    if not has_permission(user, FeeOrder, "view"):
        if getattr(user, "kind", None) in ("official", "application"):
            raise PermissionDenied()
        raise NotFound()
    if order is not None and FeeOrder.objects.restrict(user, "view").filter(pk=order.pk).exists():
        audit.record_read(order, ["payer_name"], actor=user)
        return order
    raise NotFound()


def order_of_case(case) -> FeeOrder | None:
    return orders().filter(case=case).first()


def runs(user) -> QuerySet:
    if not has_permission(user, ReconciliationRun, "view"):
        raise PermissionDenied()
    return ReconciliationRun.objects.select_related("ran_by").order_by("-created_at", "-pk")
