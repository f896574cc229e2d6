"""Test helpers for the responsibility list: duties made through the service."""

import itertools

from dgov.catalog.testing import YUJIANG_CIVIL_AFFAIRS, make_superuser
from dgov.duties import services
from dgov.duties.models import DataDuty
from dgov.orgs.models import Department

_seq = itertools.count(1)


def make_duty(*, actor=None, department_code: str = YUJIANG_CIVIL_AFFAIRS, entries=(), **fields) -> DataDuty:
    """A duty created through `duty_save` (as `actor`, default a superuser), linked to `entries`."""
    n = next(_seq)
    values = {"duty": f"测试职责{n}", "data_name": f"测试数据{n}", "legal_basis": "《婚姻登记条例》第二条",
              "update_cycle": "monthly", **fields}
    duty = DataDuty(department=Department.objects.get(code=department_code), **values)
    return services.duty_save(actor=actor or make_superuser(), instance=duty,
                              entry_codes=[e.code for e in entries])
