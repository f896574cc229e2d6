"""The statistics (数据资源统计): the figures over the entries a reader may see (an editor's count only
what they see), staleness against the update cycle, personal data, the filters, the API contract,
and the page with its SVG charts, drill-downs and .xlsx export."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from dgov.catalog import statistics
from dgov.catalog.models import Status
from dgov.catalog.testing import (
    GUIXI_CIVIL_AFFAIRS,
    YUJIANG_CIVIL_AFFAIRS,
    item,
    make_entry,
)
from dgov.core.testing import ApiContract, Case, audited, signed_in, zh

pytestmark = pytest.mark.django_db
API = "/api/v1/catalog/statistics"
PAGE = "/data/catalog/statistics/"
ENTRIES = "/data/catalog/statistics/entries/"


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


@pytest.fixture
def catalog(db):
    """Yujiang: a published daily entry updated 3 days ago (stale), a draft with sensitive personal
    data; Guixi: a published monthly entry (fresh, personal data, not shared) and a draft (hidden
    from Yujiang's editor)."""
    return {
        "stale": make_entry(status=Status.PUBLISHED, update_cycle="daily", data_updated_on=days_ago(3)),
        "sensitive": make_entry(items=[item("身份证号", personal_data="sensitive")], update_cycle="yearly",
                                data_updated_on=days_ago(10), sharing_type="conditional",
                                sharing_conditions="依法履职", open_type="conditional", open_conditions="申请"),
        "guixi": make_entry(department_code=GUIXI_CIVIL_AFFAIRS, status=Status.PUBLISHED, update_cycle="monthly",
                            data_updated_on=days_ago(30), items=[item("姓名", personal_data="personal")],
                            sharing_type="none", sharing_method=""),
        "guixi_draft": make_entry(department_code=GUIXI_CIVIL_AFFAIRS, update_cycle="irregular",
                                  data_updated_on=days_ago(900)),
    }


def test_the_figures_count_the_entries_each_reader_sees(catalog, editor, reviewer):
    everything = statistics.statistics(reviewer)
    assert everything["total"] == 4
    assert {d["code"]: d["count"] for d in everything["by_department"]} == {YUJIANG_CIVIL_AFFAIRS: 2,
                                                                         GUIXI_CIVIL_AFFAIRS: 2}
    assert {s["value"]: s["count"] for s in everything["by_sharing_type"]} == {
        "unconditional": 2, "conditional": 1, "none": 1}
    assert sum(s["percent"] for s in everything["by_open_type"]) == 100.0
    assert everything["personal_data"] == {"count": 2, "sensitive": 1, "percent": 50.0}
    assert everything["stale"]["count"] == 1  # daily, 3 days old; the irregular one never is
    mine = statistics.statistics(editor)  # Yujiang's two, and Guixi's published entry; not its draft
    assert mine["total"] == 3
    assert {d["code"]: d["count"] for d in mine["by_department"]} == {YUJIANG_CIVIL_AFFAIRS: 2,
                                                                   GUIXI_CIVIL_AFFAIRS: 1}
    assert {s["value"]: s["count"] for s in mine["by_status"]}["draft"] == 1


def test_staleness_follows_the_update_cycle(catalog):
    today = timezone.localdate()
    stale = set(catalog["stale"].__class__.objects.filter(statistics.stale_q(today)))
    assert stale == {catalog["stale"]}
    # 40 days on, the monthly entry is overdue too; the yearly one not yet
    later = set(catalog["stale"].__class__.objects.filter(statistics.stale_q(today + dt.timedelta(days=40))))
    assert later == {catalog["stale"], catalog["guixi"]}


def test_filters_narrow_the_figures(catalog, reviewer):
    assert statistics.statistics(reviewer, {"department": GUIXI_CIVIL_AFFAIRS})["total"] == 2
    assert statistics.statistics(reviewer, {"region": "360681"})["total"] == 2  # 贵溪市 and below
    assert statistics.statistics(reviewer, {"region": "360600"})["total"] == 4  # the whole city
    assert statistics.statistics(reviewer, {"status": "published"})["total"] == 2


class TestStatisticsApi(ApiContract):
    @pytest.fixture
    def case(self, catalog, editor, world):
        return Case(method="get", url=f"{API}?status=published", authorised=editor, unauthorised=world.official,
                    bad_url=f"{API}?region=36x")

    # Figures, not objects: the scope shows in what they count (test_in_scope).
    test_out_of_scope = None

    def test_in_scope(self, case):
        from dgov.accounts.testing import api_client

        body = api_client(case.authorised).get(API).json()
        assert body["total"] == 3 and body["stale"]["count"] == 1
        assert body["personal_data"] == {"count": 2, "sensitive": 1, "percent": 66.7}
        published = api_client(case.authorised).get(case.url).json()
        assert published["total"] == 2


# --- the page ---------------------------------------------------------------------------------
def test_the_page_draws_a_bar_per_department_and_the_shares(catalog, reviewer):
    response = signed_in(reviewer).get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="chart-s1 bar"') == 2  # one bar per department
    assert html.count('class="chart-s2 bar"') == len(Status.values)
    assert 'id="chart-sharing"' in html and 'id="chart-opening"' in html
    assert html.count("segment") >= 6
    assert 'style="' not in html.split("<main", 1)[1]  # the CSP allows no inline styles
    assert zh("Entries holding personal data") in html


def test_the_page_filters_and_offers_only_visible_departments(catalog, editor):
    client = signed_in(editor)
    html = client.get(PAGE).content.decode()
    assert f'value="{GUIXI_CIVIL_AFFAIRS}"' in html  # its published entry is visible
    narrowed = client.get(PAGE, {"department": YUJIANG_CIVIL_AFFAIRS}).content.decode()
    assert narrowed.count('class="chart-s1 bar"') == 1 and 'data-figure="total">2<' in narrowed
    refused = client.get(PAGE, {"department": "999999999"})
    assert refused.status_code == 200 and "is-invalid" in refused.content.decode()


def test_the_statistics_export_to_xlsx(catalog, reviewer):
    response = signed_in(reviewer).get(PAGE, {"export": "xlsx", "region": "360681000000"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(response.content))
    assert len(wb.sheetnames) == 5
    departments = list(wb.worksheets[1].iter_rows(values_only=True))
    assert departments[1][:3] == (GUIXI_CIVIL_AFFAIRS, "贵溪市民政局", 2) and len(departments) == 2
    assert audited("catalog.catalogentry.export").changes["report"] == "statistics"


def test_drill_downs_list_and_export_the_entries_behind_a_figure(catalog, editor):
    client = signed_in(editor)
    stale = client.get(ENTRIES, {"which": "stale"}).content.decode()
    assert catalog["stale"].code in stale and catalog["guixi"].code not in stale
    personal = client.get(ENTRIES, {"which": "personal", "department": GUIXI_CIVIL_AFFAIRS}).content.decode()
    assert catalog["guixi"].code in personal and catalog["sensitive"].code not in personal
    exported = client.get(ENTRIES, {"which": "sensitive", "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(exported.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [catalog["sensitive"].code]
    assert client.get(ENTRIES, {"which": "everything"}).status_code == 404


def test_the_page_needs_the_catalog(world):
    assert signed_in(world.official).get(PAGE).status_code == 403
    assert signed_in(world.citizen).get(PAGE).status_code == 403


def test_the_statistics_export_quotes_text_a_spreadsheet_would_run(catalog, reviewer):
    from dgov.orgs.models import Department

    Department.objects.filter(code=GUIXI_CIVIL_AFFAIRS).update(name='=HYPERLINK("http://example.org","贵溪")')
    response = signed_in(reviewer).get(PAGE, {"export": "xlsx"})
    departments = list(load_workbook(io.BytesIO(response.content)).worksheets[1].iter_rows(values_only=True))
    names = [r[1] for r in departments[1:]]
    assert '\'=HYPERLINK("http://example.org","贵溪")' in names
    assert not any(str(n).startswith("=") for n in names)


def test_the_donut_arcs_close_the_circle_whatever_the_rounding():
    from dgov.catalog.views import _donut

    shares = [{"value": v, "name": v, "count": 1, "percent": 33.3} for v in ("a", "b", "c")]
    arcs = _donut(shares)
    assert sum(float(a["dash"].split()[0]) for a in arcs) == pytest.approx(100, abs=0.015)
    assert [a["percent"] for a in arcs] == [33.3, 33.3, 33.3]
