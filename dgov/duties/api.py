"""`/api/v1/catalog/responsibilities`: the data responsibility list — list (filters `department`,
`unlinked`, `status`, `q`), one duty, create, update, delete. Scoped like the pages: a department
sees and edits its own duties (another department's answer 404), the big-data centre reads all."""

from enum import Enum

from django.utils.translation import gettext as _

from dgov.core.api import by_natural_key, crud_router
from dgov.duties import selectors, services
from dgov.duties.models import DataDuty
from dgov.duties.schemas import DutyFilter, DutyIn, DutyOut, DutyPatch
from dgov.orgs.models import Department


def _resolve(data: dict) -> dict:
    """Codes in, objects out: the department (an unknown code is a field error); the resource codes
    go along as `link_codes` for `services.duty_save_linking`, which checks them."""
    values = {k: v.value if isinstance(v, Enum) else v for k, v in data.items()}
    if "department_code" in values:
        values["department"] = by_natural_key(Department, "department_code", _("No department has this code."),
                                              code=values.pop("department_code"))
    if "entry_codes" in values:
        codes = values.pop("entry_codes")
        if codes is not None:
            values["link_codes"] = codes
    return values


router = crud_router(model=DataDuty, out_schema=DutyOut, in_schema=DutyIn, patch_schema=DutyPatch,
                     filters=DutyFilter, queryset=selectors.duty_queryset, resolve=_resolve,
                     save=services.duty_save_linking, tags=["catalog"])
