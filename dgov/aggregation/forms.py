"""Forms of data aggregation: a source database (the URL is typed in and never shown back), a load job
(one source column per dataset column), and a dataset's columns (one row per data item of the entry)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dgov.aggregation import selectors
from dgov.aggregation.models import COLUMN_NAME_RE, Dataset, MaskKind, SourceDatabase, SourceMapping
from dgov.orgs.selectors import departments_for


class SourceDatabaseForm(forms.ModelForm):
    url = forms.CharField(
        label=_("Connection URL"), max_length=1000, required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("e.g. postgresql://user:password@host:5432/dbname, mysql://user:password@host:3306/dbname, or "
                    "sqlite:////path/file.sqlite3. Stored encrypted and never shown again."))

    class Meta:
        model = SourceDatabase
        fields = ["department", "name", "kind", "url", "description"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        keep = self.instance.department if self.instance.pk else None
        choices = departments_for(user, SourceDatabase, "add", keep=keep)
        self.fields["department"].queryset = choices
        if not self.instance.pk and user is not None and user.department_id in {d.pk for d in choices}:
            self.initial["department"] = user.department_id
        if self.instance.pk:
            self.fields["department"].disabled = True
            self.fields["url"].help_text = _("Stored: %(url)s. Leave empty to keep it.") % {
                "url": self.instance.safe_url}
        else:
            self.fields["url"].required = True

    def clean_url(self):
        # An empty URL on a change keeps the stored one (the service fills it in).
        return self.cleaned_data.get("url", "").strip()


MAP_PREFIX = "map__"


class SourceMappingForm(forms.ModelForm):
    """A load job; besides the model fields, `map__<column>` names the source column (or file header) of
    each dataset column. The dataset is chosen first (on a new job, from `?dataset=`)."""

    class Meta:
        model = SourceMapping
        fields = ["name", "dataset", "source", "source_table", "mode", "incremental_by", "incremental_column",
                  "schedule", "enabled"]

    def __init__(self, *args, user=None, dataset: Dataset | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            dataset = self.instance.dataset
        self.fields["dataset"].queryset = (selectors._datasets().restrict(user, "change") if user
                                           else Dataset.objects.none())
        self.fields["source"].queryset = SourceDatabase.objects.restrict(user, "view") if user else \
            SourceDatabase.objects.none()
        self.fields["source"].required = False
        if dataset is not None:
            self.initial["dataset"] = dataset.pk
            self.instance.dataset = dataset
            self.fields["dataset"].disabled = True
            self.dataset = dataset
            current = self.instance.column_map or {}
            for col in dataset.columns.all():
                label = f"{col.item_name}（{col.name}）"
                self.fields[MAP_PREFIX + col.name] = forms.CharField(
                    label=label, max_length=128, required=col.is_key, initial=current.get(col.name, ""),
                    help_text=_("Key column: required.") if col.is_key else "")
        else:
            self.dataset = None

    def map_fields(self):
        return [self[name] for name in self.fields if name.startswith(MAP_PREFIX)]

    def plain_fields(self):
        return [self[name] for name in self.fields if not name.startswith(MAP_PREFIX)]

    def save(self, commit=True):
        instance = super().save(commit=False)
        instance.column_map = {name[len(MAP_PREFIX):]: value for name, value in self.cleaned_data.items()
                               if name.startswith(MAP_PREFIX) and value}
        instance.incremental_by = self.cleaned_data.get("incremental_by") or ""
        return instance


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File (.xlsx or .csv)"),
                           help_text=_("First row: the column headers named in the job's mapping."))


class DatasetEntryForm(forms.Form):
    """A new dataset, step one: the published catalog entry."""

    entry = forms.ModelChoiceField(label=_("Catalog entry"), queryset=None, to_field_name="code",
                                   help_text=_("Published entries of your department without a dataset."))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entry"].queryset = selectors.entries_without_dataset(user)
        self.fields["entry"].label_from_instance = lambda e: f"{e.code} {e.name}"


def column_rows(entry, dataset: Dataset | None, data=None) -> list[dict]:
    """One row per data item of `entry` for the columns form: whether the dataset carries it, the
    column name, key and mask; from the POST (`data`) when given, else from the dataset, else defaults."""
    from dgov.aggregation.models import default_mask

    current = {c.item_name: c for c in dataset.columns.all()} if dataset is not None else {}
    rows = []
    for item in entry.items.all():
        i = item.position
        col = current.get(item.name)
        if data is not None:
            row = {"include": data.get(f"include_{i}") == "on", "name": data.get(f"name_{i}", "").strip(),
                   "is_key": data.get(f"key_{i}") == "on", "mask": data.get(f"mask_{i}", "")}
        elif col is not None:
            row = {"include": True, "name": col.name, "is_key": col.is_key, "mask": col.mask}
        else:
            row = {"include": dataset is None, "name": f"item_{i}", "is_key": False,
                   "mask": default_mask(item.name, item.personal_data)}
        rows.append({"position": i, "item": item, **row})
    return rows


def columns_from_rows(rows: list[dict]) -> list[dict]:
    return [{"name": r["name"], "item_name": r["item"].name, "is_key": r["is_key"], "mask": r["mask"]}
            for r in rows if r["include"]]


MASK_CHOICES = MaskKind.choices
COLUMN_PATTERN = COLUMN_NAME_RE
