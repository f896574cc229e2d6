"""Search: Chinese terms (two-character queries such as 社保 and 婚姻), Latin words, filters, facets
whose counts match the results, and who sees which entries."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dgov.catalog import search, selectors
from dgov.catalog.models import CatalogEntry, Status
from dgov.catalog.testing import (
    GUIXI_CIVIL_AFFAIRS,
    YUJIANG_CIVIL_AFFAIRS,
    item,
    make_editor,
    make_entry,
    make_reviewer,
    make_superuser,
)
from dgov.core.errors import PermissionDenied, ValidationError

YUJIANG_HRSS = "360603905"  # 余江区人力资源和社会保障局
CITY_DATA = "360600036"  # 鹰潭市数据局


def codes(queryset) -> set[str]:
    return set(queryset.values_list("code", flat=True))


def found(q: str = "", **filters) -> set[str]:
    results, _facets = selectors.search_entries(CatalogEntry.objects.all(), q=q, filters=filters)
    return codes(results)


# --- terms --------------------------------------------------------------------------------------
def test_terms_are_cjk_characters_and_pairs_and_latin_words():
    assert search.terms("社保卡 API-v2") == {"社", "保", "卡", "社保", "保卡", "api", "v2"}


def test_query_terms_are_pairs_or_a_single_character():
    assert search.query_terms("婚姻登记") == {"婚姻", "姻登", "登记"}
    assert search.query_terms("婚") == {"婚"}
    assert search.query_terms("社保 GIS") == {"社保", "gis"}
    assert search.query_terms("！？。") == set()


def test_full_width_and_long_words_are_normalised():
    assert search.terms("ＡＰＩ接口２０２４") == {"api", "2024", "接", "口", "接口"}
    assert search.query_terms("Ｇｅｏｓｅｒｖｅｒ") == search.query_terms("geoserver") == {"geoserve"}


# --- full text ----------------------------------------------------------------------------------
@pytest.fixture
def corpus(db):
    actor = make_superuser()

    def entry(name, summary, items=("名称",), **fields):
        return make_entry(actor=actor, name=name, summary=summary, items=[item(n) for n in items], **fields).code

    return {
        "shebao": entry("社保参保登记信息", "城乡居民参加社会保险的登记记录。", ("姓名", "参保日期"),
                        department_code=YUJIANG_HRSS),
        "shebao_item": entry("灵活就业人员名单", "就业登记。", ("姓名", "社保缴费基数"), department_code=YUJIANG_HRSS),
        "shehui": entry("社会救助对象", "低保和特困人员。", ("姓名",), sharing_type="none", sharing_method=""),
        "hunyin": entry("婚姻登记信息", "结婚和离婚登记记录。", ("男方姓名", "女方姓名"), open_type="conditional",
                        open_conditions="依申请"),
        "hunyin_summary": entry("收养登记信息", "含收养人婚姻状况。", ("收养人姓名",), classification_code="203"),
        "yinqin": entry("姻亲关系证明", "亲属关系。", ("申请人",), classification_code="101"),
        "gis": entry("地理信息服务", "通过 GIS 和 WMTS 接口提供底图。", ("图层",), format="streaming",
                     department_code=CITY_DATA, classification_code="103"),
        "guixi": entry("贵溪市婚姻登记信息", "结婚登记。", ("男方姓名",), department_code=GUIXI_CIVIL_AFFAIRS,
                       update_cycle="yearly"),
    }


def test_two_character_queries_find_their_entries_and_no_others(corpus):
    assert found("社保") == {corpus["shebao"], corpus["shebao_item"]}  # name, or a data item
    assert found("婚姻") == {corpus["hunyin"], corpus["hunyin_summary"], corpus["guixi"]}  # name or summary


def test_longer_chinese_queries_need_every_pair(corpus):
    assert found("婚姻登记") == {corpus["hunyin"], corpus["guixi"]}
    assert found("社会保险") == {corpus["shebao"]}
    assert found("婚姻 贵溪") == {corpus["guixi"]}


def test_a_single_character_matches_wherever_it_occurs(corpus):
    assert found("姻") == {corpus["hunyin"], corpus["hunyin_summary"], corpus["guixi"], corpus["yinqin"]}


def test_latin_words_are_matched_whole_and_without_case(corpus):
    assert found("gis") == found("GIS") == found("ＧＩＳ") == {corpus["gis"]}
    assert found("wmts 底图") == {corpus["gis"]}
    assert found("GI") == set()


def test_empty_and_unsearchable_queries(corpus):
    assert found("") == found("   ") == set(corpus.values())
    assert found("——！") == set()
    assert found("量子") == set()


# --- filters ------------------------------------------------------------------------------------
def test_filters_combine_with_the_query(corpus):
    assert found("婚姻", department=YUJIANG_CIVIL_AFFAIRS) == {corpus["hunyin"], corpus["hunyin_summary"]}
    assert found("婚姻", department=[YUJIANG_CIVIL_AFFAIRS], catalog_type="2") == {corpus["hunyin_summary"]}
    assert found("婚姻", open_type="conditional") == {corpus["hunyin"]}
    assert found(sharing_type="none") == {corpus["shehui"]}
    assert found(format="streaming", region="360600") == {corpus["gis"]}
    assert found(update_cycle="yearly", region="360681") == {corpus["guixi"]}
    assert found("社保", department=GUIXI_CIVIL_AFFAIRS) == set()


def test_values_of_one_filter_are_alternatives(corpus):
    assert found(catalog_type=["1", "2"]) == {corpus["hunyin_summary"], corpus["yinqin"], corpus["gis"]}
    assert found("婚姻", department=[YUJIANG_CIVIL_AFFAIRS, GUIXI_CIVIL_AFFAIRS], classification="307") == {
        corpus["hunyin"], corpus["guixi"]}
    assert found(department=["", None]) == set(corpus.values())  # empty values are no filter


def test_region_filter_takes_6_9_or_12_digits(corpus):
    assert found(region="360603") == found(region="360603000") == found(region="360603000000")
    assert corpus["guixi"] not in found(region="360603")
    with pytest.raises(ValidationError) as excinfo:
        found(region="3606")
    assert "region" in excinfo.value.details


def test_unknown_codes_find_nothing_and_unknown_filters_are_errors(corpus):
    assert found(department="999999999") == set()
    assert found(classification="9") == set()
    with pytest.raises(ValueError):
        found(colour="red")


def test_status_filter(corpus):
    make_entry(name="已发布的婚姻数据", status=Status.PUBLISHED)
    assert len(found("婚姻", status="published")) == 1
    assert len(found("婚姻", status=["draft", "published"])) == 4


# --- facets -------------------------------------------------------------------------------------
def assert_facets_match(queryset, q="", **filters):
    """CKAN semantics: every facet counted over the results; its counts add up to the number of
    results, and each value's count is what the results number with that value filtered."""
    results, facets = selectors.search_entries(queryset, q=q, filters=filters)
    total = results.count()
    assert list(facets) == list(selectors.FACETS)
    assert selectors.facet_total(facets) == total
    for field, values in facets.items():
        assert sum(v["count"] for v in values) == total, field
        assert all(v["count"] > 0 and v["name"] for v in values), field
        for value in values:
            narrowed, _ = selectors.search_entries(queryset, q=q, filters={**filters, field: value["value"]})
            assert narrowed.count() == value["count"], (field, value)
    return facets


def test_facets_of_everything(corpus):
    facets = assert_facets_match(CatalogEntry.objects.all())
    assert {v["value"]: v["count"] for v in facets["catalog_type"]} == {"3": 5, "2": 1, "1": 2}
    assert facets["department"][0] == {"value": YUJIANG_CIVIL_AFFAIRS, "name": "余江区民政局", "count": 4}
    assert {v["value"] for v in facets["region"]} == {"360603000000", "360681000000", "360600000000"}
    assert {v["value"]: v["count"] for v in facets["sharing_type"]} == {"unconditional": 7, "none": 1}
    assert [v["count"] for v in facets["department"]] == sorted((v["count"] for v in facets["department"]),
                                                                reverse=True)


@pytest.mark.parametrize(("q", "filters"), [
    ("婚姻", {}),
    ("社保", {}),
    ("登记", {"department": YUJIANG_CIVIL_AFFAIRS}),
    ("", {"catalog_type": ["2", "3"], "sharing_type": "unconditional"}),
    ("姓名", {"open_type": ["none", "conditional"], "region": "360603"}),
    ("量子", {}),
])
def test_facet_counts_match_the_filtered_results(corpus, q, filters):
    assert_facets_match(CatalogEntry.objects.all(), q, **filters)


def test_a_filtered_facet_shows_only_the_chosen_values(corpus):
    _results, facets = selectors.search_entries(CatalogEntry.objects.all(), q="婚姻",
                                                filters={"department": GUIXI_CIVIL_AFFAIRS})
    assert facets["department"] == [{"value": GUIXI_CIVIL_AFFAIRS, "name": "贵溪市民政局", "count": 1}]


def test_no_results_no_facet_values(corpus):
    _results, facets = selectors.search_entries(CatalogEntry.objects.all(), q="量子")
    assert all(values == [] for values in facets.values())
    assert selectors.facet_total(facets) == 0


def test_facet_queries_are_bounded(corpus, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):  # 4 code lookups, 7 GROUP BYs, 3 name lookups
        selectors.search_entries(CatalogEntry.objects.all(), q="婚姻", filters={
            "department": YUJIANG_CIVIL_AFFAIRS, "classification": "307", "region": "360603", "catalog_type": "3"})


# --- who sees what ------------------------------------------------------------------------------
@pytest.fixture
def states(db):
    """One entry per state in each of two departments."""
    actor = make_superuser()
    return {(department, status): make_entry(actor=actor, department_code=department, status=status,
                                             name=f"{department}{status}婚姻数据").code
            for department, status in itertools.product((YUJIANG_CIVIL_AFFAIRS, GUIXI_CIVIL_AFFAIRS), Status.values)}


def test_a_department_sees_all_its_entries_and_the_published_catalog(states):
    visible = codes(selectors.visible_entries(make_editor(YUJIANG_CIVIL_AFFAIRS)))
    expected = {code for (department, status), code in states.items()
                if department == YUJIANG_CIVIL_AFFAIRS or status == Status.PUBLISHED}
    assert visible == expected
    assert states[(GUIXI_CIVIL_AFFAIRS, Status.PUBLISHED)] in visible
    assert states[(GUIXI_CIVIL_AFFAIRS, Status.SUBMITTED)] not in visible


def test_reviewers_see_every_entry(states):
    assert codes(selectors.visible_entries(make_reviewer())) == set(states.values())


def test_a_reviewer_of_one_county_sees_its_unpublished_entries_only(db):
    from dgov.accounts.testing import make_user

    actor = make_superuser()
    guixi_draft = make_entry(actor=actor, department_code=GUIXI_CIVIL_AFFAIRS).code
    yujiang_draft = make_entry(actor=actor).code
    reviewer = make_user(department_code="360681000", roles=[
        ("catalog_editor", "department", "360681000"), ("catalog_reviewer", "region", "360681")])
    assert codes(selectors.visible_entries(reviewer)) == {guixi_draft}
    assert yujiang_draft


def test_without_the_view_permission_nothing_is_visible(world):
    with pytest.raises(PermissionDenied):
        selectors.visible_entries(world.official)
    with pytest.raises(PermissionDenied):
        selectors.visible_entries(world.admin)


def test_search_facets_count_only_visible_entries(states):
    editor = make_editor(YUJIANG_CIVIL_AFFAIRS)
    facets = assert_facets_match(selectors.visible_entries(editor), "婚姻")
    assert {v["value"]: v["count"] for v in facets["department"]} == {YUJIANG_CIVIL_AFFAIRS: 5, GUIXI_CIVIL_AFFAIRS: 1}


def test_history_is_for_the_department_and_reviewers(states):
    published = states[(GUIXI_CIVIL_AFFAIRS, Status.PUBLISHED)]
    yujiang = make_editor(YUJIANG_CIVIL_AFFAIRS)
    assert selectors.entry_detail(yujiang, published).code == published
    from dgov.core.errors import NotFound

    with pytest.raises(NotFound):
        selectors.entry_versions(yujiang, published)
    assert selectors.entry_versions(make_editor(GUIXI_CIVIL_AFFAIRS), published).count() == 4
    assert selectors.entry_versions(make_reviewer(), published).count() == 4


def test_both_ways_of_counting_agree(states):
    """The whole catalog's facets come from the (status, field) indexes, a search's from one pass over
    its rows: both give the same counts, for every kind of reader."""
    from dgov.accounts.testing import make_user

    county_reviewer = make_user(department_code="360681000", roles=[
        ("catalog_editor", "department", "360681000"), ("catalog_reviewer", "region", "360681")])
    for user in (make_editor(YUJIANG_CIVIL_AFFAIRS), make_reviewer(), county_reviewer):
        visible = selectors.visible_entries(user)
        for queryset in (visible, visible.filter(status__in=["draft", "published"])):
            by_index = selectors.facet_counts(queryset, narrowed=False)
            assert by_index == selectors.facet_counts(queryset, narrowed=True)
            assert selectors.facet_total(by_index) == queryset.count()


def test_the_page_is_in_code_order_with_its_relations(corpus):
    results, _facets = selectors.search_entries(CatalogEntry.objects.all(), q="姓名")
    page = selectors.entry_page(results, 1, 3)
    everything = sorted(codes(results))
    assert [e.code for e in page] == everything[1:4]
    assert all(e.department.name and e.classification.name and e.region.name for e in page)


@pytest.mark.django_db
def test_a_longer_phrase_must_appear_as_written_not_only_as_its_bigrams():
    """社会保险 is indexed as 社会/会保/保险; an entry holding those pairs apart (社会…会保…保险)
    holds every bigram but not the phrase, and must not match."""
    phrase = make_entry(name="社会保险参保信息", items=[{"name": "姓名", "data_type": "string"}])
    apart = make_entry(name="社会组织年检信息", summary="包括社会团体、基金会、保险代理机构的年检结果",
                       items=[{"name": "会保存期", "data_type": "string"}])
    in_item = make_entry(name="参保人员名单", items=[{"name": "社会保险号", "data_type": "string"}])
    qs = CatalogEntry.objects.filter(pk__in=[phrase.pk, apart.pk, in_item.pk])
    # Every bigram of the query is in the apart entry's index...
    assert search.query_terms("社会保险") <= search.entry_terms(apart)
    # ...but only the entries holding the phrase match.
    assert set(search.filter_query(qs, "社会保险")) == {phrase, in_item}
    assert set(search.filter_query(qs, "社保")) == set()
    assert search.phrases("社会保险 API 婚姻 interoperability") == ["社会保险", "interoperability"]


@pytest.mark.parametrize("q", ["姓名", "婚姻登记", "社会保险", "gis", "登"])
def test_probing_entries_finds_the_same_rows_as_the_index_lookup(corpus, q):
    base = CatalogEntry.objects.all()
    assert codes(search.filter_query(base, q, probe=True)) == codes(search.filter_query(base, q))


def test_a_common_term_reads_its_first_pages_in_code_order_by_probing(corpus, monkeypatch):
    results, facets = selectors.search_entries(CatalogEntry.objects.all(), q="姓名")
    total = selectors.facet_total(facets)
    everything = sorted(codes(results))
    probed = []
    original = search.filter_query

    def spy(queryset, query, *, probe=False):
        probed.append(probe)
        return original(queryset, query, probe=probe)

    monkeypatch.setattr(search, "filter_query", spy)
    results, _facets = selectors.search_entries(CatalogEntry.objects.all(), q="姓名")
    assert probed == [False, True]  # the probing variant rides along with the results
    with CaptureQueriesContext(connection) as probing:  # the catalog's size (per generation), ids, rows
        page = selectors.entry_page(results, 2, 3, total=total)
    assert [e.code for e in page] == everything[2:5]
    assert len(probing) == 3 and "EXISTS" in probing[1]["sql"] and "ORDER BY" in probing[1]["sql"]
    # without the total (or for a rare term), the page sorts the matching ids as before
    with CaptureQueriesContext(connection) as sorting:
        assert [e.code for e in selectors.entry_page(results, 2, 3)] == everything[2:5]
    assert len(sorting) == 2 and "EXISTS" not in sorting[0]["sql"]


def test_facets_are_counted_once_per_catalog_change(corpus, django_assert_num_queries):
    def facets():
        return selectors.search_entries(CatalogEntry.objects.all(), q="婚姻")[1]

    first = facets()
    with django_assert_num_queries(0):  # the same question at the same generation: no SQL
        assert facets() == first
    make_entry(name="婚姻家庭辅导记录", department_code=YUJIANG_CIVIL_AFFAIRS)  # a write bumps the generation
    after = facets()
    assert selectors.facet_total(after) == selectors.facet_total(first) + 1


def test_cached_facets_follow_the_readers_scope(states):
    """The key is the SQL of the visible entries: two readers with different scopes never share."""
    editor, reviewer = make_editor(YUJIANG_CIVIL_AFFAIRS), make_reviewer()
    mine = selectors.search_entries(selectors.visible_entries(editor))[1]
    everything = selectors.search_entries(selectors.visible_entries(reviewer))[1]
    assert selectors.facet_total(mine) == selectors.visible_entries(editor).count()
    assert selectors.facet_total(everything) == selectors.visible_entries(reviewer).count()
    assert selectors.facet_total(mine) < selectors.facet_total(everything)


def test_with_facet_filters_the_page_sorts_the_matching_ids(corpus):
    results, facets = selectors.search_entries(CatalogEntry.objects.all(), q="姓名",
                                               filters={"department": YUJIANG_HRSS})
    assert getattr(results.query, "catalog_probe", None) is None
    page = selectors.entry_page(results, 0, 5, total=selectors.facet_total(facets))
    assert [e.code for e in page] == sorted(codes(results))[:5]


@pytest.mark.django_db
def test_both_databases_have_the_covering_index_of_the_facet_columns():
    """Migrations 0004 and 0005: the facets of a search are counted from an index carrying every
    facet column (PostgreSQL: INCLUDE; SQLite: a plain index led by the id)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'catalog_entry_facet_cover'")
            (definition,) = cursor.fetchone()
            assert "(id) INCLUDE (department_id, classification_id, region_id" in definition
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'catalog_entry_facet_cover'")
            (definition,) = cursor.fetchone()
            assert '(id, status, department_id, classification_id, region_id, sharing_type, open_type, format, ' \
                   'update_cycle)' in definition


@pytest.mark.django_db
def test_the_facets_of_a_search_are_one_statement_reading_the_covering_index_on_sqlite():
    """One statement counts every facet: GROUPING SETS on PostgreSQL; on SQLite one group_concat per
    facet column, naming the covering index, so no table row is read for the facets."""
    make_entry(name="企业登记信息", items=[item("企业名称")])
    make_entry(name="个人婚姻信息", items=[item("姓名")])
    results = search.filter_query(CatalogEntry.objects.all(), "企业")
    with CaptureQueriesContext(connection) as captured:
        counts = selectors._counts_in_one_pass(results)
    assert sum(counts["department"].values()) == 1 and sum(counts["update_cycle"].values()) == 1
    (statement,) = [q["sql"] for q in captured.captured_queries]
    if connection.vendor == "postgresql":
        assert "GROUPING SETS" in statement
        return
    assert "INDEXED BY catalog_entry_facet_cover" in statement
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + statement)
        plan = " | ".join(row[-1] for row in cursor.fetchall())
    assert "COVERING INDEX catalog_entry_facet_cover" in plan, plan
