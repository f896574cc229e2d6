"""The demo: the aggregation demo's data-store table, harvested by metadata's demo, gets its rules and one run;
loading it again adds nothing."""

from dgov.aggregation.demo import load_demo as load_aggregation_demo
from dgov.metadata.demo import load_demo as load_metadata_demo
from dgov.quality.demo import RULES, demo_table, load_demo
from dgov.quality.models import QualityRule, QualityRun, RemediationTask


def test_demo_rules_and_run(db):
    load_aggregation_demo()
    load_metadata_demo()
    first = load_demo()
    table = demo_table()
    assert table is not None and first["run"] is not None
    assert first["run"].status == QualityRun.Status.SUCCEEDED, first["run"].error
    names = set(QualityRule.objects.filter(table=table).values_list("name", flat=True))
    assert names == {r[0] for r in RULES} - {"保障类别代码"}  # no code set for bzlb loaded here
    assert all(r.is_demo for r in QualityRule.objects.filter(table=table))
    run = first["run"]
    assert run.score is not None and run.results.count() == len(names)
    assert not run.results.exclude(error="").exists(), list(run.results.values("rule_name", "error"))
    failing = run.results.filter(passed=False).count()
    assert RemediationTask.objects.filter(table=table, is_demo=True).count() == failing
    assert failing == 0 or table.department.name == "余江区民政局"
    second = load_demo()
    assert second["rules"] == 0 and second["run"] is None
    assert QualityRun.objects.filter(table=table).count() == 1
