"""The demo: a demo source file, entry, dataset and job, loaded once; running it again adds nothing."""

import pytest

from dgov.aggregation import datastore
from dgov.aggregation.demo import BAD_ROW, DEMO_ENTRY_NAME, ROWS, load_demo
from dgov.aggregation.models import Dataset, LoadRun, SourceDatabase, SourceMapping
from dgov.core.testing import audited

pytestmark = pytest.mark.django_db


def test_demo_loads_once():
    first = load_demo()
    assert first["created"] == 4 and first["rows"] == ROWS - 1
    dataset = Dataset.objects.get(is_demo=True)
    assert dataset.entry.name == DEMO_ENTRY_NAME and dataset.entry.status == "published"
    assert dataset.entry.is_demo and SourceDatabase.objects.get().is_demo and SourceMapping.objects.get().is_demo
    run = LoadRun.objects.get()
    assert (run.status, run.rows_read, run.rows_written, run.rows_rejected) == ("succeeded", ROWS, ROWS - 1, 1)
    assert run.rejects[0]["row"] == BAD_ROW and "*" in run.rejects[0]["key"]
    masks = {c.item_name: c.mask for c in dataset.columns.all()}
    assert masks["姓名"] == "name" and masks["公民身份号码"] == "id_number" and masks["联系电话"] == "phone"
    assert audited("aggregation.demo.load") is not None
    second = load_demo()
    assert second == {"created": 0, "code": first["code"], "rows": ROWS - 1}
    assert LoadRun.objects.count() == 1 and Dataset.objects.count() == 1
    assert datastore.count(dataset, [("bzlb", "in", ["城市低保", "农村低保"])]) == ROWS - 1
