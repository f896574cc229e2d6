"""The pages of public payment:

- the applicant's panel on /my/cases/<reference>/ (amount due, 缴费 → the provider's cashier → back to
  the case with the result; the receipt link), and the receipt (电子缴款凭证, printable; also for the
  officials in scope);
- the official's panel on the workbench case page (the order, its payments and refunds; refund, cancel
  and set-the-fees forms for 收费管理人员);
- the workbench list of fee orders in scope (filters, csv export) and the reconciliation page (对账);
- the provider's callback (`payments:callback`, signed, server to server).
"""

import csv
import datetime as dt
import functools

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from dgov.core import audit
from dgov.core.errors import DgovError, NotFound, PermissionDenied
from dgov.core.permissions import has_permission, resolver
from dgov.core.views import audit_refused_write
from dgov.payments import selectors, services
from dgov.payments.models import FeeOrder, OrderState, PaymentState, ReconciliationRun
from dgov.payments.services import all_fee_items, yuan

PAGE_SIZE = 25
STATE_BADGES = {OrderState.UNPAID: "text-bg-warning", OrderState.PAID: "text-bg-success",
                OrderState.PARTLY_REFUNDED: "text-bg-info", OrderState.REFUNDED: "text-bg-secondary",
                OrderState.CANCELLED: "text-bg-light"}


def page(view):
    """Signed-in users; the service's NotFound and PermissionDenied as Django's 404 and 403."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            raise Http404 from None
        except PermissionDenied:
            raise DjangoPermissionDenied from None

    return wrapper


def platform_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _case_page(request, order: FeeOrder) -> str:
    if selectors.is_payer(request.user, order):
        return reverse("cases:my_case", kwargs={"reference": order.case.reference})
    return reverse("cases:case_detail", kwargs={"key": order.case.reference})


def _items(order: FeeOrder) -> list[dict]:
    return [{**item, "yuan": yuan(item["amount"])} for item in order.items]


def _facts(order: FeeOrder) -> dict:
    return {"order": order, "items": _items(order), "amount": yuan(order.amount), "paid": yuan(order.paid_amount),
            "refunded": yuan(order.refunded_amount), "refundable": yuan(order.refundable),
            "badge": STATE_BADGES.get(order.state, "text-bg-light")}


def _with_yuan(obj):
    obj.yuan = yuan(obj.amount)
    return obj


# --- panels on the case pages ----------------------------------------------------------------------
def applicant_panel(request, case):
    order = selectors.order_of_case(case)
    if order is None or not selectors.is_payer(request.user, order):
        return None
    last = order.payments.order_by("-pk").first()
    return render_to_string("payments/_applicant_panel.html", {
        **_facts(order), "last": last, "last_failed": last is not None and last.state in (
            PaymentState.FAILED, PaymentState.CANCELLED) and order.state == OrderState.UNPAID}, request=request)


def official_panel(request, case):
    user = request.user
    if not has_permission(user, FeeOrder, "view"):
        return None
    order = FeeOrder.objects.restrict(user, "view").filter(case=case).select_related("case").first()
    if order is None:
        return None
    may_refund = bool(resolver().allows(user, "refund", order))
    return render_to_string("payments/_official_panel.html", {
        **_facts(order), "payments": list(order.payments.all()),
        "refunds": [_with_yuan(r) for r in order.refunds.select_related("by")], "may_refund": may_refund,
        "fee_choices": [(i, {**item, "yuan": yuan(item["amount"])}) for i, item in
                        enumerate(all_fee_items(case.implementation))] if may_refund else []}, request=request)


# --- the payer --------------------------------------------------------------------------------------
@require_POST
@page
def pay(request, number):
    order = selectors.order_for(request.user, number)
    return_url = request.build_absolute_uri(reverse("payments:return", kwargs={"number": order.number}))
    try:
        payment = services.start_payment(actor=request.user, order=order, return_url=return_url,
                                         platform_url=platform_url(request))
    except DgovError as exc:
        audit_refused_write(request, exc)
        messages.error(request, str(exc.message))
        return redirect(_case_page(request, order))
    return redirect(payment.pay_url)


@page
def payment_return(request, number):
    """Back from the cashier: the provider is asked at once (a lost callback does not keep the payer waiting)."""
    order = selectors.order_for(request.user, number)
    order = services.refresh_order(order, platform_url=platform_url(request))
    last = order.payments.order_by("-pk").first()
    if order.state == OrderState.PAID:
        messages.success(request, _("Payment received. Your receipt number is %(receipt)s.") % {
            "receipt": order.receipt_number})
    elif last is not None and last.state == PaymentState.FAILED:
        messages.error(request, _("The payment failed. Nothing was charged; you can try again."))
    elif last is not None and last.state == PaymentState.CANCELLED:
        messages.warning(request, _("You cancelled the payment. You can pay later."))
    elif last is not None and last.state in (PaymentState.CREATED, PaymentState.SUBMITTED):
        messages.info(request, _("The payment is not finished yet. If you have paid, refresh this page shortly."))
    return redirect(_case_page(request, order) + "#fee")


@page
def receipt(request, number):
    order = selectors.order_for(request.user, number)
    if not order.receipt_number:
        raise Http404
    payment = order.payments.filter(state=PaymentState.SUCCESS).order_by("pk").first()
    from dgov.payments.receipt import lines

    return render(request, "payments/receipt.html", {
        **_facts(order), "payment": payment, "lines": lines(order), "back_url": _case_page(request, order),
        "sandbox": payment is not None and payment.provider == "sandbox"})


@page
def receipt_pdf(request, number):
    from dgov.payments.receipt import FontMissing
    from dgov.payments.receipt import receipt_pdf as make_pdf

    order = selectors.order_for(request.user, number)
    if not order.receipt_number:
        raise Http404
    try:
        data = make_pdf(order)
    except FontMissing:
        raise Http404 from None
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{order.receipt_number}.pdf"'
    return response


@csrf_exempt
@require_POST
def callback(request):
    """The provider's server-to-server notice of a payment's final state (signed; replays refused)."""
    try:
        payment = services.handle_callback(method=request.method, path=request.get_full_path(), body=request.body,
                                           headers=request.headers)
    except DgovError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status, json_dumps_params={"ensure_ascii": False})
    return JsonResponse({"code": "ok", "out_trade_no": payment.out_trade_no, "state": payment.state})


# --- officials ----------------------------------------------------------------------------------------
def _official_order(request, number) -> FeeOrder:
    if not getattr(request.user, "is_official", False):
        raise PermissionDenied()
    return selectors.order_for(request.user, number)


def _write(request, number, action):
    order = _official_order(request, number)
    try:
        action(order)
    except DgovError as exc:
        audit_refused_write(request, exc)
        for sentence in exc.sentences():
            messages.error(request, sentence)
    return redirect(_case_page(request, order) + "#fee")


@require_POST
@page
def refund(request, number):
    def act(order):
        try:
            amount = services.to_fen(request.POST.get("amount", ""))
        except ValueError:
            from dgov.core.errors import ValidationError

            raise ValidationError(details={"amount": [_("Enter an amount in yuan, e.g. 12.50.")]}) from None
        item = services.refund(actor=request.user, order=order, amount=amount, reason=request.POST.get("reason", ""),
                               platform_url=platform_url(request))
        messages.success(request, _("Refunded %(amount)s yuan.") % {"amount": yuan(item.amount)})

    return _write(request, number, act)


@require_POST
@page
def cancel(request, number):
    def act(order):
        services.cancel(actor=request.user, order=order, reason=request.POST.get("reason", ""))
        messages.success(request, _("The fee order was cancelled."))

    return _write(request, number, act)


@require_POST
@page
def set_items(request, number):
    def act(order):
        choices = []
        for key, value in request.POST.items():
            if key.startswith("qty_") and value.strip() not in ("", "0"):
                choices.append({"index": key[4:], "quantity": value.strip()})
        services.set_items(actor=request.user, order=order, choices=choices)
        messages.success(request, _("The fees of the order were set."))

    return _write(request, number, act)


@page
def order_list(request):
    qs = selectors.search(selectors.visible_orders(request.user), q=request.GET.get("q", "").strip()[:100],
                          state=request.GET.get("state", "") if request.GET.get("state") in OrderState.values else "")
    if request.GET.get("format") == "csv":
        audit.record("payments.feeorder.export", None, actor=request.user, changes={"count": qs.count()})
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="fee-orders.csv"'
        response.write("\ufeff")
        writer = csv.writer(response)
        writer.writerow(["缴费单号", "办件编号", "事项", "缴款人", "执收单位", "应缴（元）", "已缴（元）", "已退（元）",
                         "状态", "缴费时间", "缴款凭证号"])
        for o in qs.order_by("-created_at", "-pk")[:10000]:
            writer.writerow([o.number, o.case.reference, o.case.title, o.payer_name, o.department.name,
                             yuan(o.amount), yuan(o.paid_amount), yuan(o.refunded_amount), o.get_state_display(),
                             timezone.localtime(o.paid_at).strftime("%Y-%m-%d %H:%M") if o.paid_at else "",
                             o.receipt_number or ""])
        return response
    paginator = Paginator(qs.order_by("-created_at", "-pk"), PAGE_SIZE)
    current = paginator.get_page(request.GET.get("page"))
    rows = [{**_facts(o)} for o in current.object_list]
    return render(request, "payments/order_list.html", {
        "rows": rows, "page_obj": current, "states": OrderState.choices, "q": request.GET.get("q", ""),
        "state": request.GET.get("state", "")})


@require_http_methods(["GET", "POST"])
@page
def reconciliation(request):
    runs = selectors.runs(request.user)
    may_run = has_permission(request.user, ReconciliationRun, "add")
    error = ""
    if request.method == "POST":
        if not may_run:
            raise PermissionDenied()
        try:
            day = dt.date.fromisoformat(request.POST.get("day", ""))
        except ValueError:
            error = _("Enter a day as YYYY-MM-DD.")
        else:
            if day > timezone.localdate():
                error = _("A day in the future has no statement yet.")
            else:
                run = services.reconcile(actor=request.user, day=day, platform_url=platform_url(request))
                return redirect("payments:reconciliation_detail", pk=run.pk)
    paginator = Paginator(runs, PAGE_SIZE)
    return render(request, "payments/reconciliation.html", {
        "page_obj": paginator.get_page(request.GET.get("page")), "may_run": may_run, "error": error,
        "default_day": (timezone.localdate() - dt.timedelta(days=1)).isoformat()},
        status=422 if error else 200)


@page
def reconciliation_detail(request, pk):
    run = selectors.runs(request.user).filter(pk=pk).first()
    if run is None:
        raise Http404
    return render(request, "payments/reconciliation_detail.html", {
        "run": run, "provider_total": yuan(run.provider_total), "platform_total": yuan(run.platform_total),
        "rows": [{**d, "provider_yuan": yuan(d["provider"]["amount"]) if d.get("provider") else "",
                  "platform_yuan": yuan(d["platform"]["amount"]) if d.get("platform") else ""}
                 for d in run.discrepancies]})
