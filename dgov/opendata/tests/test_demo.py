from dgov.opendata import selectors
from dgov.opendata.demo import load_demo


def test_the_demo_opens_three_datasets_once_and_passes_the_scan(db):
    first = load_demo()
    assert first["created"] == 3 and first["rows"] == 36 + 40 + 110
    assert load_demo() == {"created": 0, "rows": 0}
    published = selectors.published()
    assert published.count() == 3 and all(d.scan["ok"] for d in published)
    assert sorted(d.entry.open_type for d in published) == ["conditional", "unconditional", "unconditional"]
    assert all("演示" in d.title for d in published)
