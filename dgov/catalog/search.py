"""Chinese full-text search over the catalog that works the same on SQLite and PostgreSQL.

Neither database's built-in full-text search splits Chinese into words, and trigram indexes cannot
serve two-character queries such as 社保 or 婚姻. So every entry's name, summary and data-item names
are cut into terms: each CJK character and each pair of adjacent CJK characters, and each Latin or
digit word (lower-cased). A query is cut the same way and matches the entries holding all its
terms (an index lookup per term, intersected in the database).

Text is NFKC-normalised first, so full-width letters and digits (ＡＰＩ, ２０２４) match their
ASCII forms and CJK compatibility ideographs match the unified ones. A query term is matched
exactly: a CJK query of two or more characters must occur as consecutive pairs (婚姻登记 needs
婚姻, 姻登 and 登记), a single character matches wherever it occurs, and a Latin or digit word
matches the whole word (its first 8 characters: longer words are cut, in the index and the query
alike).
"""

import re
import unicodedata

from django.db.models import Exists, OuterRef, Q

from dgov.catalog.models import CatalogEntry, DataItem, SearchTerm

_CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_RUNS = re.compile(f"[{_CJK_CHARS}]+|[0-9A-Za-z]+")
_CJK = re.compile(f"[{_CJK_CHARS}]")
MAX_TERM = 8


def _runs(text: str) -> list[str]:
    return _RUNS.findall(unicodedata.normalize("NFKC", text or ""))


def terms(text: str) -> set[str]:
    """The index terms of a text: CJK characters and bigrams, Latin/digit words."""
    out: set[str] = set()
    for run in _runs(text):
        if _CJK.match(run):
            out.update(run)
            out.update(run[i:i + 2] for i in range(len(run) - 1))
        else:
            out.add(run.lower()[:MAX_TERM])
    return out


def query_terms(query: str) -> set[str]:
    """The terms an entry must hold to match `query`: for CJK, bigrams (a single character alone)."""
    out: set[str] = set()
    for run in _runs(query):
        if _CJK.match(run):
            out.update([run] if len(run) == 1 else (run[i:i + 2] for i in range(len(run) - 1)))
        else:
            out.add(run.lower()[:MAX_TERM])
    return out


def phrases(query: str) -> list[str]:
    """The parts of `query` the term index cannot decide alone: CJK runs of three or more characters
    (an entry may hold their bigrams apart: 社会…会保…保险 is not 社会保险) and Latin words longer
    than the indexed prefix. `filter_query` checks them in the text of the index's candidates."""
    return [run for run in _runs(query)
            if (len(run) >= 3 if _CJK.match(run) else len(run) > MAX_TERM)]


def entry_terms(entry: CatalogEntry) -> set[str]:
    text = " ".join([entry.name, entry.summary, *entry.items.values_list("name", flat=True)])
    return terms(text)


def index_entry(entry: CatalogEntry) -> None:
    """Replace the entry's index terms (inside the writing transaction)."""
    SearchTerm.objects.filter(entry=entry).delete()
    SearchTerm.objects.bulk_create([SearchTerm(entry=entry, term=t) for t in sorted(entry_terms(entry))],
                                   batch_size=1000)


def _wanted(query: str) -> list[str]:
    """The query's terms, the most selective first (longer terms: Latin words and CJK pairs)."""
    return sorted(query_terms(query), key=lambda t: (-len(t), t))


def matching_ids(query: str):
    """The ids of the entries holding every term of `query` (a query of `entry_id`s, or None for a
    query without searchable characters). The most selective term first, the others as semi-joins
    on it, all from the (term, entry) unique index."""
    wanted = _wanted(query)
    if not wanted:
        return None
    ids = SearchTerm.objects.filter(term=wanted[0])
    for term in wanted[1:]:
        ids = ids.filter(entry_id__in=SearchTerm.objects.filter(term=term).values("entry_id"))
    return ids.values("entry_id")


def filter_query(queryset, query: str, *, probe: bool = False):
    """`queryset` narrowed to the entries matching every term of `query` (unchanged for an empty
    query; empty for a query without searchable characters).

    The matching ids are an `id IN (subquery)`: SQLite builds the list once and reads the entries
    by primary key; PostgreSQL merge-joins it with the covering index of the facet columns
    (migration 0004), reading no table rows at all for the facets.

    `probe=True` selects the same rows the other way round: each entry is tested with one EXISTS
    lookup per term in the (term, entry) unique index. That suits reading the results in another
    index's order and stopping early, as the first page of a query matching much of the catalog
    does (`selectors.entry_page`); counting them all this way would be slow."""
    if not query or not query.strip():
        return queryset
    if probe:
        wanted = _wanted(query)
        if not wanted:
            return queryset.none()
        for term in wanted:
            queryset = queryset.filter(Exists(SearchTerm.objects.filter(term=term, entry_id=OuterRef("pk"))))
    else:
        ids = matching_ids(query)
        if ids is None:
            return queryset.none()
        queryset = queryset.filter(pk__in=ids)
    for phrase in phrases(query):
        queryset = queryset.filter(
            Q(name__icontains=phrase) | Q(summary__icontains=phrase)
            | Exists(DataItem.objects.filter(entry=OuterRef("pk"), name__icontains=phrase)))
    return queryset
