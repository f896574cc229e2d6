"""Reads of the responsibility list: data scope, the flag as a query, counts per department."""

import pytest

from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, YUJIANG_CIVIL_AFFAIRS, make_entry
from dgov.core.errors import PermissionDenied
from dgov.duties import selectors
from dgov.duties.models import DutyStatus
from dgov.duties.testing import make_duty

pytestmark = pytest.mark.django_db


@pytest.fixture
def duties(own_entry, guixi_entry):
    return {
        "linked": make_duty(entries=[own_entry]),
        "unlinked": make_duty(),
        "retired": make_duty(status=DutyStatus.RETIRED),
        "guixi": make_duty(department_code=GUIXI_CIVIL_AFFAIRS, entries=[guixi_entry]),
    }


def test_a_department_sees_its_own_duties_the_centre_all(duties, editor, reviewer, world):
    own = {d.pk for k, d in duties.items() if k != "guixi"}
    assert set(selectors.visible_duties(editor).values_list("pk", flat=True)) == own
    assert set(selectors.visible_duties(reviewer).values_list("pk", flat=True)) == {d.pk for d in duties.values()}
    assert not selectors.visible_duties(editor, "change").filter(pk=duties["guixi"].pk).exists()
    with pytest.raises(PermissionDenied):
        selectors.visible_duties(world.official)
    with pytest.raises(PermissionDenied):
        selectors.visible_duties(reviewer, "change")


def test_unlinked_selects_the_flagged_duties(duties, reviewer):
    flagged = selectors.visible_duties(reviewer).filter(selectors.UNLINKED)
    assert list(flagged) == [duties["unlinked"]]
    assert all(d.flagged == (d.pk == duties["unlinked"].pk) for d in selectors.visible_duties(reviewer))


def test_counts_and_the_summary_by_department(duties, editor, reviewer):
    assert selectors.counts(selectors.visible_duties(editor)) == {"total": 2, "linked": 1, "unlinked": 1}
    rows = selectors.department_summary(reviewer)
    assert [(r.code, r.total, r.linked, r.unlinked, r.coverage) for r in rows] == [
        (YUJIANG_CIVIL_AFFAIRS, 2, 1, 1, 50), (GUIXI_CIVIL_AFFAIRS, 1, 1, 0, 100)]
    assert [r.code for r in selectors.department_summary(editor)] == [YUJIANG_CIVIL_AFFAIRS]


def test_the_duties_of_an_entry_follow_the_readers_scope(duties, own_entry, editor, guixi_editor, world):
    assert list(selectors.duties_of_entry(editor, own_entry)) == [duties["linked"]]
    assert not selectors.duties_of_entry(guixi_editor, own_entry).exists()
    assert not selectors.duties_of_entry(world.official, make_entry()).exists()
