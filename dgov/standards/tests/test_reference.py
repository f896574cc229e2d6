"""The reference data: code sets from their files, the built-in released elements, idempotence."""

import csv

from dgov.orgs.services import REGIONS_FILE
from dgov.policies.industry import DATA_FILE as INDUSTRIES_FILE
from dgov.standards import reference, selectors
from dgov.standards.models import CodeSet, CodeValue, DataElement, ElementStatus


def values(code):
    return {v.code: (v.name, v.parent_code) for v in CodeValue.objects.filter(code_set__code=code)}


def test_the_code_sets_are_loaded_with_their_source(db):
    sets = {c.code: c for c in CodeSet.objects.filter(is_builtin=True)}
    assert set(sets) >= {"GB/T 2261.1-2003", "GB/T 2260", "GB/T 4754-2017", "YT-DBBZLB"}
    assert all(c.source for c in sets.values())
    assert values("GB/T 2261.1-2003") == {"0": ("未知的性别", ""), "1": ("男性", ""), "2": ("女性", ""),
                                          "9": ("未说明的性别", "")}
    assert values("YT-DBBZLB").keys() == {"城市低保", "农村低保"}


def test_the_region_code_set_is_the_6_digit_subset_of_the_nbs_file(db):
    with REGIONS_FILE.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["level"] in ("province", "city", "county")]
    got = values("GB/T 2260")
    assert len(got) == len(rows) == 15  # 江西省, 11 cities, 鹰潭's 3 counties
    assert got["360000"] == ("江西省", "")
    assert got["360600"] == ("鹰潭市", "360000")
    assert got["360603"] == ("余江区", "360600")
    assert all(len(code) == 6 for code in got)


def test_the_industry_code_set_reads_the_policies_file_with_parents(db):
    with INDUSTRIES_FILE.open(encoding="utf-8") as fh:
        count = sum(1 for _ in csv.DictReader(fh))
    got = values("GB/T 4754-2017")
    assert len(got) == count
    assert got["C"][1] == "" and got["C32"][1] == "C" and got["C321"][1] == "C32" and got["C3211"][1] == "C321"
    assert got["C13"][1] == "C"


def test_builtin_elements_are_released_reference_data(db):
    builtin = DataElement.objects.filter(is_builtin=True)
    assert builtin.count() == len(reference.ELEMENTS)
    assert set(builtin.values_list("status", flat=True)) == {ElementStatus.RELEASED}
    id_number = selectors.released_element("DE0001")
    assert id_number.name == "公民身份号码" and id_number.check_digit == "id_number" and id_number.personal
    assert selectors.released_element("DE0002").check_digit == "credit_code"
    assert selectors.released_element("DE0003").code_set.code == "GB/T 2261.1-2003"
    assert selectors.released_element("DE0004").code_set.code == "GB/T 2260"
    assert selectors.released_element("DE0005").code_set.code == "GB/T 4754-2017"
    assert selectors.released_element("DE0013").code_set.code == "YT-DBBZLB"
    assert selectors.released_element("NOPE0001") is None


def test_loading_again_changes_nothing_and_update_restores_the_files(db):
    before = (CodeSet.objects.count(), CodeValue.objects.count(), DataElement.objects.count())
    assert reference.load_code_sets() == 0 and reference.load_elements() == 0
    assert (CodeSet.objects.count(), CodeValue.objects.count(), DataElement.objects.count()) == before
    CodeValue.objects.filter(code_set__code="GB/T 2261.1-2003", code="1").update(name="男")
    CodeValue.objects.filter(code_set__code="GB/T 2261.1-2003", code="9").delete()
    assert reference.load_code_sets() == 1  # the missing value comes back; the edited one is kept
    assert values("GB/T 2261.1-2003")["1"][0] == "男" and "9" in values("GB/T 2261.1-2003")
    assert reference.load_code_sets(update=True) == 1
    assert values("GB/T 2261.1-2003")["1"][0] == "男性"
    assert CodeValue.objects.count() == before[1]
