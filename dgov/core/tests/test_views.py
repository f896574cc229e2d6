"""The generic list/detail/edit/delete views (dgov/core/views.py), through the department and
calendar pages, and the audit log pages."""

import re

import pytest
from django.test import Client

from dgov.calendars.models import CalendarDay
from dgov.core.models import AuditEntry
from dgov.orgs.models import Department, Region

pytestmark = pytest.mark.django_db

YUJIANG_GOV, GUIXI_GOV, CITY_GOV = "360603000", "360681000", "360600000"
LIST = "/system/departments/"


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def codes_in(html: str) -> list[str]:
    """Department codes in the order the table shows them (the first cell of each row)."""
    return re.findall(r"<tr><td>([0-9A-Za-z_-]+)</td>", html)


def dept_form(**overrides):
    data = {"code": "360603950", "name": "余江区测试中心", "short_name": "", "doc_prefix": "", "kind": "institution",
            "region": "", "parent": YUJIANG_GOV, "note": "", "is_active": "on"}
    data.update(overrides)
    return data


# --- list --------------------------------------------------------------------------------------

def test_list_page(world):
    response = login(world.admin).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and 'id="object-table"' in html
    assert len(codes_in(html)) == 25  # one page
    assert f"{Department.objects.count()} " in html  # the item count under the table


def test_list_is_scoped(world):
    html = login(world.yujiang_admin).get(f"{LIST}?page=1").content.decode()
    codes = codes_in(html)
    assert codes and all(code.startswith("360603") for code in codes)


@pytest.mark.parametrize(("query", "check"), [
    ("name=财政", lambda d: "财政" in d.name),
    ("kind=township", lambda d: d.kind == "township"),
])
def test_list_filters(world, query, check):
    codes = codes_in(login(world.admin).get(f"{LIST}?{query}").content.decode())
    assert codes
    assert all(check(Department.objects.get(code=c)) for c in codes)


def test_list_filter_within_a_region(world):
    guixi = Region.objects.get(code="360681000000")
    codes = codes_in(login(world.admin).get(f"{LIST}?within={guixi.pk}").content.decode())
    assert codes and all(c.startswith("360681") for c in codes)


def test_an_invalid_filter_shows_nothing_rather_than_everything(world):
    html = login(world.admin).get(f"{LIST}?kind=ministry").content.decode()
    assert codes_in(html) == []


@pytest.mark.parametrize(("sort", "expected_first"), [
    ("code", lambda: Department.objects.order_by("code").first().code),
    ("-code", lambda: Department.objects.order_by("-code").first().code),
    ("-region.code", lambda: Department.objects.order_by("-region__code", "pk").first().code),
])
def test_list_sorting(world, sort, expected_first):
    html = login(world.admin).get(f"{LIST}?sort={sort}").content.decode()
    assert codes_in(html)[0] == expected_first()
    assert 'aria-sort="' in html


def test_unknown_sort_key_falls_back_to_the_default_order(world):
    default = codes_in(login(world.admin).get(LIST).content.decode())
    assert codes_in(login(world.admin).get(f"{LIST}?sort=password").content.decode()) == default


def test_second_page(world):
    client = login(world.admin)
    first, second = codes_in(client.get(LIST).content.decode()), codes_in(client.get(f"{LIST}?page=2").content.decode())
    assert len(second) == 25 and not set(first) & set(second)
    assert codes_in(client.get(f"{LIST}?page=999").content.decode())  # past the end: the last page


def test_htmx_request_for_the_table_gets_only_the_table(world):
    client = login(world.admin)
    response = client.get(f"{LIST}?kind=township", headers={"HX-Request": "true", "HX-Target": "object-table"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<nav class=\"navbar" not in html and "<form" not in html
    assert "<table" in html and codes_in(html)
    assert "Vary" in response and "HX-Request" in response["Vary"]


def test_htmx_request_for_another_target_gets_the_whole_page(world):
    response = login(world.admin).get(LIST, headers={"HX-Request": "true", "HX-Target": "main"})
    assert "<html" in response.content.decode()


def test_list_query_count_does_not_grow_with_rows(world, django_assert_max_num_queries):
    client = login(world.admin)
    client.get(LIST)  # warm caches that belong to the session, not the page
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one_row:
        client.get(f"{LIST}?name=余江区人民政府办公室")
    with django_assert_max_num_queries(len(one_row.captured_queries)):
        response = client.get(LIST)
    assert len(codes_in(response.content.decode())) == 25
    with django_assert_max_num_queries(20):
        client.get("/system/calendar/")


@pytest.mark.parametrize("who", ["citizen"])
def test_list_refuses_citizens(world, who):
    assert login(getattr(world, who)).get(LIST).status_code == 403


def test_list_needs_the_view_permission(world):
    assert login(world.auditor).get("/system/calendar/").status_code == 403


def test_anonymous_is_sent_to_log_in():
    response = Client().get(LIST)
    assert response.status_code == 302 and "login" in response["Location"]


# --- detail ----------------------------------------------------------------------------------

def test_detail_page(world):
    response = login(world.yujiang_admin).get(f"{LIST}{YUJIANG_GOV}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "余江区人民政府" in html and "360603000000" in html
    assert 'href="edit/"' in html  # a county administrator may change it
    assert 'href="delete/"' not in html  # but not delete


def test_detail_outside_scope_is_404(world):
    assert login(world.yujiang_admin).get(f"{LIST}{GUIXI_GOV}/").status_code == 404


def test_detail_of_a_missing_object_is_404(world):
    assert login(world.admin).get(f"{LIST}no-such-unit/").status_code == 404


def test_detail_refuses_citizens(world):
    assert login(world.citizen).get(f"{LIST}{YUJIANG_GOV}/").status_code == 403


# --- add and edit ------------------------------------------------------------------------------

def test_add_with_errors_answers_422_and_keeps_the_input(world):
    client = login(world.yujiang_admin)
    assert client.get(f"{LIST}add/").status_code == 200
    before = Department.objects.count()
    response = client.post(f"{LIST}add/", dept_form(name="", kind="ministry"))
    assert response.status_code == 422
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and "余江区测试中心" not in html
    assert 'value="360603950"' in html  # what was typed stays in the form
    assert Department.objects.count() == before


def test_add_saves_redirects_and_audits(world):
    response = login(world.yujiang_admin).post(f"{LIST}add/", dept_form())
    assert response.status_code == 302 and response["Location"] == f"{LIST}360603950/"
    created = Department.objects.get(code="360603950")
    assert created.region.code == "360603000000" and created.parent.code == YUJIANG_GOV
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.actor_username, entry.source, entry.ip) == (
        "orgs.department.create", "t_yujiang_admin", "web", "127.0.0.1")
    assert entry.request_id and entry.changes["name"] == [None, "余江区测试中心"]


def test_add_outside_scope_is_a_form_error(world):
    response = login(world.yujiang_admin).post(f"{LIST}add/", dept_form(code="360681950", parent=GUIXI_GOV))
    assert response.status_code == 422
    assert not Department.objects.filter(code="360681950").exists()
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.outcome, entry.changes, entry.action) == ("denied", {"reason": "out_of_scope"},
                                                            "web:POST /system/departments/add/")


def test_refused_delete_is_audited_as_failed(world):
    login(world.admin).post(f"{LIST}{YUJIANG_GOV}/delete/")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.outcome, entry.changes) == ("failed", {"reason": "protected"})


def test_add_without_permission_is_403(world):
    client = login(world.official)
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}add/", dept_form()).status_code == 403
    assert not Department.objects.filter(code="360603950").exists()


def test_edit_saves_and_audits_the_difference(world):
    client = login(world.yujiang_admin)
    url = f"{LIST}360603901/edit/"
    assert client.get(url).status_code == 200
    unit = Department.objects.get(code="360603901")
    data = dept_form(code=unit.code, name=unit.name, short_name="区府办", kind=unit.kind, region="360603000000")
    response = client.post(url, data)
    assert response.status_code == 302
    assert Department.objects.get(code="360603901").short_name == "区府办"
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "orgs.department.change"
    assert entry.changes == {"short_name": ["余江区政府办", "区府办"]}


def test_edit_with_errors_is_422(world):
    unit = Department.objects.get(code="360603901")
    response = login(world.admin).post(f"{LIST}360603901/edit/", dept_form(code=unit.code, name="", kind=unit.kind))
    assert response.status_code == 422
    assert Department.objects.get(code="360603901").name == unit.name


def test_edit_into_a_cycle_is_a_form_error(world):
    unit = Department.objects.get(code=YUJIANG_GOV)
    response = login(world.admin).post(f"{LIST}{YUJIANG_GOV}/edit/", dept_form(
        code=unit.code, name=unit.name, kind=unit.kind, region="360603000000", parent="360603901"))
    assert response.status_code == 422
    assert Department.objects.get(code=YUJIANG_GOV).parent.code == CITY_GOV


def test_edit_outside_scope_is_404(world):
    client = login(world.yujiang_admin)
    assert client.get(f"{LIST}{GUIXI_GOV}/edit/").status_code == 404
    assert client.post(f"{LIST}{GUIXI_GOV}/edit/", dept_form(code=GUIXI_GOV)).status_code == 404


# --- delete ------------------------------------------------------------------------------------

def test_delete_confirm_then_delete(world):
    parent = Department.objects.get(code=CITY_GOV)
    Department.objects.create(code="T_DEL", name="待删除", kind="department", region=parent.region, parent=parent)
    client = login(world.admin)
    assert client.get(f"{LIST}T_DEL/delete/").status_code == 200
    response = client.post(f"{LIST}T_DEL/delete/")
    assert response.status_code == 302 and response["Location"] == LIST
    assert not Department.objects.filter(code="T_DEL").exists()
    assert AuditEntry.objects.order_by("-seq").first().action == "orgs.department.delete"


def test_delete_of_a_unit_still_in_use_is_refused_with_a_message(world):
    client = login(world.admin)
    response = client.post(f"{LIST}{YUJIANG_GOV}/delete/", follow=True)
    assert response.status_code == 200
    assert Department.objects.filter(code=YUJIANG_GOV).exists()
    assert response.redirect_chain[-1][0] == f"{LIST}{YUJIANG_GOV}/"
    assert 'role="alert"' in response.content.decode() or "alert-danger" in response.content.decode()


def test_delete_without_permission_is_403(world):
    client = login(world.yujiang_admin)
    assert client.get(f"{LIST}360603901/delete/").status_code == 403
    assert client.post(f"{LIST}360603901/delete/").status_code == 403
    assert Department.objects.filter(code="360603901").exists()


# --- the calendar pages -------------------------------------------------------------------------

def test_calendar_list_filters(world):
    html = login(world.admin).get("/system/calendar/?year=2025&kind=workday").content.decode()
    dates = re.findall(r">(\d{4}-\d{2}-\d{2})</a>", html)
    assert dates == ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"]


def test_calendar_list_for_a_county_administrator(world):
    # Reference data: any official holding the view permission sees the whole calendar.
    html = login(world.yujiang_admin).get("/system/calendar/?year=2026&kind=holiday&sort=-date").content.decode()
    assert "2026-10-07" in html


def test_calendar_add_duplicate_date_is_422(world):
    response = login(world.admin).post("/system/calendar/add/", {"date": "2024-02-18", "kind": "holiday",
                                                                 "festival": "", "note": ""})
    assert response.status_code == 422
    assert CalendarDay.objects.get(date="2024-02-18").kind == "workday"


def test_calendar_add_edit_delete(world):
    client = login(world.admin)
    response = client.post("/system/calendar/add/", {"date": "2099-01-01", "kind": "holiday", "festival": "元旦",
                                                     "note": ""})
    day = CalendarDay.objects.get(date="2099-01-01")
    assert response.status_code == 302 and response["Location"] == f"/system/calendar/{day.pk}/"
    assert client.get(f"/system/calendar/{day.pk}/").status_code == 200
    client.post(f"/system/calendar/{day.pk}/edit/", {"date": "2099-01-01", "kind": "holiday", "festival": "元旦",
                                                     "note": "已核对"})
    assert CalendarDay.objects.get(pk=day.pk).note == "已核对"
    assert client.post(f"/system/calendar/{day.pk}/delete/").status_code == 302
    assert not CalendarDay.objects.filter(pk=day.pk).exists()
    actions = list(AuditEntry.objects.filter(object_id=str(day.pk), object_type="calendars.calendarday")
                   .order_by("seq").values_list("action", flat=True))
    assert actions == ["calendars.calendarday.create", "calendars.calendarday.change", "calendars.calendarday.delete"]


def test_calendar_writes_need_permission(world):
    client = login(world.yujiang_admin)
    day = CalendarDay.objects.get(date="2024-02-18")
    assert client.get(f"/system/calendar/{day.pk}/").status_code == 200
    assert client.get(f"/system/calendar/{day.pk}/edit/").status_code == 403
    assert client.post("/system/calendar/add/", {"date": "2099-01-01", "kind": "holiday"}).status_code == 403


# --- the audit pages -------------------------------------------------------------------------------

def test_audit_pages_for_the_auditor(world):
    client = login(world.auditor)
    html = client.get("/system/audit/?action=accounts").content.decode()
    assert "accounts." in html
    entry = AuditEntry.objects.order_by("-seq").first()
    assert client.get(f"/system/audit/{entry.pk}/").status_code == 200
    response = client.post("/system/audit/verify/", follow=True)
    assert response.status_code == 200
    verify = AuditEntry.objects.filter(action="audit.verify").order_by("-seq").first()
    assert verify.changes["ok"] is True and verify.actor_username == "t_auditor"


def test_audit_pages_refuse_others(world):
    for user in (world.yujiang_admin, world.official, world.citizen):
        client = login(user)
        assert client.get("/system/audit/").status_code == 403
        assert client.post("/system/audit/verify/").status_code == 403


def test_audit_verify_page_reports_a_broken_chain(world):
    from django.db import connection

    entry = AuditEntry.objects.order_by("-seq").first()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET action = %s WHERE id = %s", ["forged", entry.pk])
    response = login(world.auditor).post("/system/audit/verify/", follow=True)
    assert f"#{entry.seq}" in response.content.decode()
    verify = AuditEntry.objects.filter(action="audit.verify").order_by("-seq").first()
    assert verify.changes["ok"] is False and verify.changes["broken_seq"] == entry.seq
