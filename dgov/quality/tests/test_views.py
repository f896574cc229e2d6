import pytest
from django.urls import reverse

from dgov.core.testing import audited, signed_in
from dgov.quality import services
from dgov.quality.models import QualityPlan, QualityRule, QualityRun, RemediationTask, RuleKind, TaskState
from dgov.quality.tests.conftest import GOOD_ID, execute


def rule(table, name="xm 完整", kind=RuleKind.COMPLETENESS, columns=("xm",), params=None):
    return QualityRule.objects.create(table=table, name=name, kind=kind, columns=list(columns), params=params or {})


@pytest.fixture
def run(people, guixi_people):
    rule(people)
    rule(people, "sfzh 校验", RuleKind.ID_NUMBER, ("sfzh",))
    rule(guixi_people)
    services.run_table(guixi_people)
    return services.run_table(people)


@pytest.mark.parametrize("name", ["quality:qualityrule_list", "quality:qualityrun_list",
                                  "quality:remediationtask_list", "quality:scores", "quality:qualityrule_add"])
def test_pages_render(run, editor, name):
    assert signed_in(editor).get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", ["quality:qualityrule_list", "quality:qualityrun_list",
                                  "quality:remediationtask_list"])
def test_pages_need_permission(world, name):
    assert signed_in(world.official).get(reverse(name)).status_code == 403


def test_run_page_shows_counts_sample_and_sql(run, editor):
    response = signed_in(editor).get(reverse("quality:qualityrun_detail", args=[run.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-passed="0"' in html and "quality-sql" in html and "quality-sample" in html
    assert GOOD_ID not in html  # personal values masked in samples
    assert str(run.score) in html


def test_run_page_out_of_scope(run, outsider):
    assert signed_in(outsider).get(reverse("quality:qualityrun_detail", args=[run.pk])).status_code == 404


def test_run_now_from_table_page(people, editor, outsider, reviewer):
    rule(people)
    url = reverse("quality:table_detail", args=[people.pk])
    page = signed_in(editor).get(url)
    assert page.status_code == 200 and "quality-run-now" in page.content.decode()
    response = signed_in(editor).post(url, {"action": "run"})
    run = QualityRun.objects.get()
    assert response.status_code == 302 and response.url == reverse("quality:qualityrun_detail", args=[run.pk])
    assert signed_in(outsider).post(url, {"action": "run"}).status_code == 404
    assert "quality-run-now" not in signed_in(reviewer).get(url).content.decode()


def test_schedule_form(people, editor):
    url = reverse("quality:table_detail", args=[people.pk])
    assert signed_in(editor).post(url, {"action": "plan", "schedule": "nonsense"}).status_code == 422
    response = signed_in(editor).post(url, {"action": "plan", "schedule": "weekly", "next_run_on": "2026-12-01"})
    assert response.status_code == 302
    plan = QualityPlan.objects.get(table=people)
    assert plan.schedule == "weekly" and plan.next_run_on.isoformat() == "2026-12-01"


def test_rule_form_validates_params(people, editor):
    client = signed_in(editor)
    url = reverse("quality:qualityrule_add")
    data = {"table": people.pk, "name": "自定义", "kind": "custom_sql", "columns": "",
            "params": '{"condition": "1=1; drop table people"}', "threshold_pct": "0", "weight": "1",
            "remediate": "on", "enabled": "on"}
    response = client.post(url, data)
    assert response.status_code == 422 and not QualityRule.objects.exists()
    assert client.post(url, {**data, "params": "{not json"}).status_code == 422
    response = client.post(url, {**data, "params": '{"condition": "score > max_score"}'})
    assert response.status_code == 302
    saved = QualityRule.objects.get()
    assert saved.params == {"condition": "score > max_score"} and saved.columns == []
    assert audited("quality.qualityrule.create", object_id=str(saved.pk))
    edit = client.get(reverse("quality:qualityrule_edit", args=[saved.pk]))
    assert edit.status_code == 200 and "score &gt; max_score" in edit.content.decode()


def test_rule_form_offers_only_tables_in_scope(people, guixi_people, editor):
    html = signed_in(editor).get(reverse("quality:qualityrule_add")).content.decode()
    assert f'value="{people.pk}"' in html and f'value="{guixi_people.pk}"' not in html


def test_scores_page(run, reviewer):
    html = signed_in(reviewer).get(reverse("quality:scores")).content.decode()
    assert "quality-city" in html and f'data-table="{run.table_id}"' in html and "quality-formula" in html


def test_task_pages_and_fix(run, editor, outsider, db_path):
    task = RemediationTask.objects.get(table=run.table, rule__name="xm 完整")
    client = signed_in(editor)
    assert f'data-task="{task.pk}"' in client.get(reverse("quality:remediationtask_list")).content.decode()
    assert client.get(reverse("quality:remediationtask_list"), {"overdue": "yes"}).status_code == 200
    url = reverse("quality:remediationtask_detail", args=[task.pk])
    assert "quality-fix" in client.get(url).content.decode()
    assert client.post(url, {"note": ""}).status_code == 422
    execute(db_path, "UPDATE people SET xm = '王五' WHERE xm IS NULL OR xm = ''")
    assert client.post(url, {"note": "已补录"}).status_code == 302
    task.refresh_from_db()
    assert task.state == TaskState.CLOSED
    assert "quality-fix" not in client.get(url).content.decode()
    assert signed_in(outsider).get(url).status_code == 404
    assert signed_in(outsider).post(url, {"note": "x"}).status_code == 404
