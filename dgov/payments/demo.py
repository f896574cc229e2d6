"""Demo fee orders (`dgov init --demo`): the demo citizen (李娜) has one approved case of a demo item that
charges a fee, with its fee order unpaid, so that paying in the sandbox cashier can be tried at once; the
demo official (张伟) gets 收费管理人员 over that case's region (refunds, reconciliation). Approved demo cases
of items with fees get their orders the same way (the approval creates them). Idempotent."""

from django.db import transaction

from dgov.cases.models import Case, CaseEvent, State
from dgov.core.errors import DgovError
from dgov.payments.models import FeeOrder
from dgov.payments.services import create_for_case, fee_items

KEY = "fee_due"
STEPS = [("accept", {}), ("approve", {})]


def _implementation(official):
    """A published item the citizen can apply for online that charges a fee (none: None): demo items
    first, and those of a region where the demo official already decides cases."""
    from dgov.accounts.models import RoleAssignment
    from dgov.services.models import Implementation

    qs = (Implementation.objects.filter(status="published", item__status="published", online_apply=True,
                                        service_object__in=("person", "both"), result_license_type=None,
                                        case_kind="promised")
          .exclude(fees=[]).select_related("region", "department").order_by("-is_demo", "code"))
    deciding = set(RoleAssignment.objects.filter(user=official, role__code="case_decider")
                   .exclude(region=None).values_list("region_id", flat=True))
    found = [impl for impl in qs if fee_items(impl)]
    return next((impl for impl in found if impl.region_id in deciding), found[0] if found else None)


def _grant(official, region, codes) -> None:
    from dgov.accounts.demo import grant_demo_role

    for code in codes:
        grant_demo_role(official, code, region=region)


def load_demo() -> dict:
    from dgov.accounts.models import User
    from dgov.cases import demo as case_demo

    total = lambda: FeeOrder.objects.filter(is_demo=True).count()  # noqa: E731
    citizen = User.objects.filter(username=case_demo.CITIZEN).first()
    official = User.objects.filter(username=case_demo.OFFICIAL).first()
    if citizen is None or official is None:
        return {"created": 0, "total": total(), "note": "no demo accounts"}
    created = 0
    with transaction.atomic():
        # approved demo cases of items with fees (approved before payments was installed) get their order
        for case in Case.objects.filter(is_demo=True, outcome="approved", fee_order=None).select_related(
                "implementation", "department", "region", "applicant"):
            if case.state in (State.APPROVED,) and create_for_case(case, None):
                created += 1
        impl = _implementation(official)
        if impl is None:
            return {"created": created, "total": total(), "note": "no published demo item with a fee"}
        _grant(official, impl.region, (*case_demo.ROLES, "fee_manager"))
        if not CaseEvent.objects.filter(case__is_demo=True, action="start", data__demo=KEY).exists():
            try:
                with transaction.atomic():
                    case = case_demo.make_demo_case(KEY, STEPS, citizen, official, impl)
                    created += FeeOrder.objects.filter(case=case).count()
            except DgovError as exc:
                return {"created": created, "total": total(), "note": f"{KEY}: {exc.sentences()[0]}"}
    return {"created": created, "total": total()}
