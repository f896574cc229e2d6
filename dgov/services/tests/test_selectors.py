"""Reads of service items: two-character Chinese search, ranking, filters, facets, the published guide by code
and the officials' scope."""

import pytest

from dgov.core.errors import NotFound
from dgov.services import search, selectors, services
from dgov.services.testing import GUIXI_CIVIL, GUIXI_HRSS, YUJIANG_CIVIL, YUJIANG_HRSS, make_implementation, make_item

pytestmark = pytest.mark.django_db
YUJIANG_APPROVAL = "360603907"


@pytest.fixture
def guides(world):
    marriage = make_item()
    divorce = make_item("360700002000", "内地居民离婚登记")
    pension = make_item("362000001000", "城乡居民基本养老保险参保登记", "20", keywords="城乡居保")
    birth = make_item("360700005000", "出生登记")
    company = make_item("360100001000", "企业设立登记", "01", keywords="营业执照")
    made = {
        "marriage_yj": make_implementation(world.admin, YUJIANG_CIVIL, marriage),
        "marriage_gx": make_implementation(world.admin, GUIXI_CIVIL, marriage, online_apply=False, form={}),
        "divorce_yj": make_implementation(world.admin, YUJIANG_CIVIL, divorce, result_name="离婚证",
                                          materials=[{"name": "结婚证"}], themes=["person-marriage"]),
        "pension_yj": make_implementation(world.admin, YUJIANG_HRSS, pension, result_type="other",
                                          result_name="参保登记", themes=["person-social-security"], materials=[]),
        "pension_gx": make_implementation(world.admin, GUIXI_HRSS, pension, result_type="other",
                                          result_name="参保登记", themes=["person-social-security"], materials=[],
                                          publish=False),
        "birth_gx": make_implementation(world.admin, GUIXI_CIVIL, birth, result_type="other",
                                        result_name="户口簿", materials=[{"name": "出生医学证明"}],
                                        themes=["person-birth"]),
        "company_yj": make_implementation(world.admin, YUJIANG_APPROVAL, company, service_object="enterprise",
                                          result_name="营业执照", themes=["enterprise-establish"], materials=[]),
    }
    return made


def codes_of(queryset) -> list[str]:
    return [impl.code for impl in queryset]


def test_two_character_queries(guides):
    assert set(codes_of(selectors.search("结婚"))) >= {guides["marriage_yj"].code, guides["marriage_gx"].code}
    assert codes_of(selectors.search("社保")) == [guides["pension_yj"].code]  # the draft in 贵溪 is not public
    assert codes_of(selectors.search("养老")) == [guides["pension_yj"].code]
    assert codes_of(selectors.search("出生")) == [guides["birth_gx"].code]
    assert codes_of(selectors.search("营业")) == [guides["company_yj"].code]
    assert codes_of(selectors.search("城乡居保")) == [guides["pension_yj"].code]  # the item's other names
    assert codes_of(selectors.search("火星")) == [] and codes_of(selectors.search("!!")) == []
    assert selectors.search("").count() == 6
    assert codes_of(selectors.search("ＳＨＥＢＡＯ")) == []  # full-width Latin is normalised, matches nothing here


def test_results_are_ranked_name_first(guides):
    found = codes_of(selectors.search("结婚"))
    # 离婚登记 mentions 结婚证 among its materials: after the items named 结婚
    assert found[-1] == guides["divorce_yj"].code
    assert found.index(guides["marriage_yj"].code) < found.index(guides["divorce_yj"].code)
    # online items before the others at the same rank
    assert found[0] == guides["marriage_yj"].code
    assert codes_of(selectors.search("余江 结婚")) == [guides["marriage_yj"].code, guides["divorce_yj"].code]


def test_filters(guides):
    assert set(codes_of(selectors.search(region="360681"))) == {guides["marriage_gx"].code, guides["birth_gx"].code}
    assert set(codes_of(selectors.search(department=YUJIANG_CIVIL))) == {guides["marriage_yj"].code,
                                                                         guides["divorce_yj"].code}
    assert codes_of(selectors.search(item_type="01")) == [guides["company_yj"].code]
    assert codes_of(selectors.search(service_object="enterprise")) == [guides["company_yj"].code]
    assert guides["company_yj"].code not in codes_of(selectors.search(service_object="person"))
    assert codes_of(selectors.search(theme="person-social-security")) == [guides["pension_yj"].code]
    assert guides["marriage_gx"].code not in codes_of(selectors.search(online=True))
    assert codes_of(selectors.search(online=False)) == [guides["marriage_gx"].code]
    assert codes_of(selectors.search(department="000000000")) == []
    assert codes_of(selectors.search(region="999999")) == []
    assert codes_of(selectors.search(theme="nothing")) == []


def test_facets(guides):
    counts = selectors.facets(selectors.search(""))
    assert {r["value"]: r["count"] for r in counts["region"]} == {"360603000000": 4, "360681000000": 2}
    assert counts["department"][0] == {"value": YUJIANG_CIVIL, "label": "余江区民政局", "count": 2}
    assert {r["value"]: r["count"] for r in counts["item_type"]} == {"07": 4, "20": 1, "01": 1}
    themes = {r["value"]: r["count"] for r in counts["theme"]}
    assert themes["person-marriage"] == 3 and themes["enterprise-establish"] == 1
    assert selectors.facets(selectors.search("社保"))["department"] == [
        {"value": YUJIANG_HRSS, "label": "余江区人力资源和社会保障局", "count": 1}]


def test_the_published_guide_by_code(world, guides):
    impl = selectors.implementation_by_code(guides["marriage_yj"].code)
    assert impl.item.name == "内地居民结婚登记" and [m.name for m in impl.materials.all()] == ["居民身份证", "签字声明"]
    with pytest.raises(NotFound):
        selectors.implementation_by_code(guides["pension_gx"].code)  # a draft
    services.retire(actor=world.admin, implementation=guides["birth_gx"], reason="停用")
    with pytest.raises(NotFound):
        selectors.implementation_by_code(guides["birth_gx"].code)
    with pytest.raises(NotFound):
        selectors.implementation_by_code("nothing")
    item = guides["company_yj"].item
    item.status = "retired"
    item.save()
    with pytest.raises(NotFound):  # a retired base item takes its implementations off the portal
        selectors.implementation_by_code(guides["company_yj"].code)


def test_officials_see_their_scope_in_every_status(world, guides):
    assert selectors.visible_implementations(world.admin).count() == 7
    mine = codes_of(selectors.visible_implementations(world.guixi_admin))
    assert set(mine) == {guides["marriage_gx"].code, guides["pension_gx"].code, guides["birth_gx"].code}
    assert selectors.visible_implementations(world.official).count() == 0
    assert selectors.visible_implementations(world.citizen).count() == 0
    drafts = selectors.filter_implementations(selectors.visible_implementations(world.admin), status="draft")
    assert codes_of(drafts) == [guides["pension_gx"].code]
    assert codes_of(selectors.filter_implementations(selectors.visible_implementations(world.admin), q="社保")) == [
        guides["pension_yj"].code, guides["pension_gx"].code]


def test_themes_count_published_guides(guides):
    themes = {t.code: t.published_count for t in selectors.themes("person")}
    assert themes["person-marriage"] == 3 and themes["person-social-security"] == 1
    assert all(t.audience == "enterprise" for t in selectors.themes("enterprise"))


def test_search_words_and_aliases():
    assert search.words("  结婚 登记 结婚 ABC ") == ["结婚", "登记", "abc"]
    assert "社保" in search.aliases_of("城乡居民基本养老保险参保登记")
    assert "公积金" in search.aliases_of("住房公积金提取")
