"""Chinese search over the service guides, the same on SQLite and PostgreSQL.

Each implementation keeps `search_text`: its own and its item's names, the item's other names
(`ServiceItem.keywords`), the department, the materials, the result, the themes and the codes,
NFKC-normalised and lower-cased, plus the everyday names of what the text speaks of (`ALIASES`: a text
about 养老保险 also answers 社保). A query is cut into its words (runs of CJK characters, Latin letters or
digits); an implementation matches when its text holds every word. A two-character query such as 结婚 or
社保 is one word: a substring test, which no trigram or word index can serve, and which a scan of a few
thousand published implementations answers in milliseconds.

Results are ranked: the whole query in the implementation's name first (at its start before elsewhere),
then every word of it in the name, then in the item's name or other names, then some word in the name, then
the rest; at the same rank, items that can be applied for online first; then by name.
"""

import re
import unicodedata

from django.db.models import Case, IntegerField, Q, Value, When

_CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_WORDS = re.compile(f"[{_CJK_CHARS}]+|[0-9A-Za-z]+")
MAX_WORDS = 8

#: everyday names → the words of the texts they stand for (a text holding any of the words also answers to
#: the everyday name)
ALIASES = {
    "社保": ["社会保险", "社会保障", "养老保险", "失业保险", "工伤保险", "生育保险", "社会保障卡", "参保"],
    "医保": ["医疗保险", "医疗保障", "医保"],
    "公积金": ["住房公积金"],
    "户口": ["户籍", "户口", "落户", "迁移"],
    "身份证": ["居民身份证"],
    "营业执照": ["营业执照", "市场主体设立", "设立登记", "开办企业"],
    "开公司": ["市场主体设立", "开办企业", "设立登记"],
    "生孩子": ["出生", "生育", "新生儿"],
    "残疾": ["残疾人"],
    "老年": ["老年人", "高龄"],
    "房产证": ["不动产", "房屋"],
    "施工证": ["施工许可"],
}


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def words(query: str) -> list[str]:
    """The query's words, in order, without repeats (at most MAX_WORDS)."""
    found = []
    for word in _WORDS.findall(normalise(query)):
        if word not in found:
            found.append(word)
    return found[:MAX_WORDS]


def aliases_of(text: str) -> list[str]:
    text = normalise(text)
    return [name for name, stands_for in ALIASES.items() if any(w in text for w in stands_for)]


def build_text(implementation) -> str:
    """The search text of an implementation (after its materials and themes are saved)."""
    item = implementation.item
    department = implementation.department
    parts = [implementation.name, item.name, item.keywords, item.description, item.base_code, implementation.code,
             department.name, department.short_name, implementation.result_name,
             " ".join(implementation.materials.values_list("name", flat=True)),
             " ".join(implementation.themes.values_list("name", flat=True))]
    text = normalise(" ".join(p for p in parts if p))
    extra = [a for a in aliases_of(text) if a not in text]
    return (text + (" " + " ".join(extra) if extra else ""))[:20000]


def filter_query(queryset, query: str):
    """`queryset` narrowed to the implementations whose text holds every word of `query` (unchanged for
    an empty query, empty for a query without searchable characters)."""
    if not query or not query.strip():
        return queryset
    found = words(query)
    if not found:
        return queryset.none()
    for word in found:
        queryset = queryset.filter(search_text__contains=word)
    return queryset


def rank(queryset, query: str):
    """`queryset` ordered by how well each implementation answers `query` (see the module's doc)."""
    found = words(query)
    if not found:
        return queryset.order_by("-online_apply", "name", "code")
    phrase = "".join(found) if all(not w.isascii() for w in found) else found[0]
    all_in_name, any_in_name, all_in_item = Q(), Q(), Q()
    for word in found:
        all_in_name &= Q(name__icontains=word)
        any_in_name |= Q(name__icontains=word)
        all_in_item &= Q(item__name__icontains=word) | Q(item__keywords__icontains=word)
    ranking = Case(
        When(name__istartswith=phrase, then=Value(0)),
        When(name__icontains=phrase, then=Value(1)),
        When(all_in_name, then=Value(2)),
        When(all_in_item, then=Value(3)),
        When(any_in_name, then=Value(4)),
        default=Value(5), output_field=IntegerField())
    return queryset.annotate(search_rank=ranking).order_by("search_rank", "-online_apply", "name", "code")
