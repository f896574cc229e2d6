"""Writes of the responsibility list: scope, the legal basis, links only to the department's own
entries (unknown and foreign codes refused alike), audit, and the flag."""

import pytest

from dgov.catalog import services as catalog_services
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, YUJIANG_CIVIL_AFFAIRS, make_entry, make_superuser
from dgov.core.errors import PermissionDenied, ValidationError
from dgov.core.services import delete_object
from dgov.core.testing import audited
from dgov.duties import services
from dgov.duties.models import DataDuty, DutyStatus
from dgov.duties.testing import make_duty
from dgov.orgs.models import Department

pytestmark = pytest.mark.django_db


def new_duty(department_code=YUJIANG_CIVIL_AFFAIRS, **fields) -> DataDuty:
    values = {"duty": "婚姻登记", "data_name": "结婚登记、离婚登记记录", "legal_basis": "《婚姻登记条例》第二条",
              "update_cycle": "daily", **fields}
    return DataDuty(department=Department.objects.get(code=department_code), **values)


def test_an_editor_records_a_duty_linked_to_an_entry_of_their_department(editor, own_entry):
    duty = services.duty_save(actor=editor, instance=new_duty(), entry_codes=[own_entry.code])
    assert list(duty.entries.all()) == [own_entry]
    assert not duty.flagged
    entry = audited("duties.dataduty.create", object_id=str(duty.pk))
    assert entry.actor_username == editor.username
    assert entry.changes["legal_basis"] == [None, "《婚姻登记条例》第二条"]
    assert entry.changes["entries"] == [[], [own_entry.pk]]


@pytest.mark.parametrize("which", ["foreign", "unknown"])
def test_only_the_departments_own_entries_can_be_linked(editor, own_entry, guixi_entry, which):
    code = guixi_entry.code if which == "foreign" else "307000000/999999"
    with pytest.raises(ValidationError) as exc:
        services.duty_save(actor=editor, instance=new_duty(), entry_codes=[own_entry.code, code])
    (message,) = exc.value.details["entry_codes"]
    assert code in message and own_entry.code not in message and "余江区民政局" in message
    assert not DataDuty.objects.exists()


def test_the_legal_basis_is_required(editor):
    with pytest.raises(ValidationError) as exc:
        services.duty_save(actor=editor, instance=new_duty(legal_basis=""), entry_codes=[])
    assert set(exc.value.details) == {"legal_basis"}


def test_a_department_writes_only_its_own_duties(editor, reviewer):
    with pytest.raises(PermissionDenied) as exc:
        services.duty_save(actor=editor, instance=new_duty(GUIXI_CIVIL_AFFAIRS), entry_codes=[])
    assert exc.value.code == "out_of_scope"
    own = make_duty()
    own.department = Department.objects.get(code=GUIXI_CIVIL_AFFAIRS)  # moving it away is refused too
    with pytest.raises(PermissionDenied):
        services.duty_save(actor=editor, instance=own)
    # The big-data centre reads the list; it does not write a department's duties.
    with pytest.raises(PermissionDenied):
        services.duty_save(actor=reviewer, instance=new_duty(), entry_codes=[])
    other = make_duty(department_code=GUIXI_CIVIL_AFFAIRS)
    with pytest.raises(PermissionDenied):
        delete_object(actor=editor, instance=other)
    assert DataDuty.objects.filter(pk=other.pk).exists()


def test_moving_a_duty_to_another_department_checks_its_links(own_entry):
    duty = make_duty(entries=[own_entry])
    duty.department = Department.objects.get(code=GUIXI_CIVIL_AFFAIRS)
    with pytest.raises(ValidationError) as exc:
        services.duty_save(actor=make_superuser(), instance=duty)
    assert own_entry.code in exc.value.details["entry_codes"][0]
    duty.refresh_from_db()
    assert duty.department.code == YUJIANG_CIVIL_AFFAIRS


def test_without_entry_codes_the_links_stay(editor, own_entry):
    duty = make_duty(actor=editor, entries=[own_entry])
    duty.contact = "0701-5888888"
    services.duty_save(actor=editor, instance=duty)
    assert list(duty.entries.all()) == [own_entry]
    services.duty_save(actor=editor, instance=duty, entry_codes=[])
    assert not duty.entries.exists()
    assert audited("duties.dataduty.change", object_id=str(duty.pk)).changes["entries"] == [[own_entry.pk], []]


def test_the_flag():
    live = make_entry(status="published")
    withdrawn = make_entry(status="published")
    assert make_duty().flagged  # nothing linked
    assert not make_duty(entries=[live]).flagged
    only_withdrawn = make_duty(entries=[withdrawn])
    assert not only_withdrawn.flagged
    catalog_services.transition(actor=make_superuser(), entry=withdrawn, action="withdraw", reason="撤回测试")
    assert DataDuty.objects.get(pk=only_withdrawn.pk).flagged  # its only entry was withdrawn
    assert not make_duty(status=DutyStatus.RETIRED).flagged  # no longer in force: nothing to catalogue
    assert make_duty(entries=[make_entry(status="draft")]).flagged is False  # a draft is on its way


def test_the_contact_is_masked_in_the_audit_log(editor):
    import json

    from dgov.core import audit
    from dgov.core.models import AuditEntry
    from dgov.duties.testing import make_duty

    duty = make_duty(actor=editor, contact="13912345678")
    entry = AuditEntry.objects.filter(action="duties.dataduty.create", object_id=str(duty.pk)).get()
    assert entry.changes["contact"] == [None, audit.MASKED]
    assert "13912345678" not in json.dumps(entry.changes)
