"""The request form, in two steps: first the catalog entry (a GET form), then the data items of
that entry (check boxes: those not shared or on the negative list are marked, and the service
refuses them with a message naming the item), the application, the purpose and the period. And the
provider's terms, parsed from the request page's approval form."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dgov.accounts.models import Application
from dgov.catalog import selectors as catalog_selectors
from dgov.catalog.models import CatalogEntry, DataItem, NegativeListItem, SharingType
from dgov.catalog.models import Status as EntryStatus
from dgov.core.errors import ValidationError
from dgov.orgs.selectors import departments_for
from dgov.sharing.models import SharingRequest
from dgov.sharing.services import OPS, QUOTA_MAX, RATE_MAX


class EntryChoiceForm(forms.Form):
    entry = forms.ModelChoiceField(label=_("Catalog entry"), queryset=CatalogEntry.objects.none(),
                                   to_field_name="code", empty_label=_("Choose a published catalog entry"),
                                   help_text=_("Published resources of other departments."))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["entry"]
        field.queryset = (catalog_selectors.visible_entries(user).filter(status=EntryStatus.PUBLISHED)
                          .select_related("department").order_by("department__path", "name"))
        field.label_from_instance = lambda e: f"{e.name}（{e.department.name} · {e.get_sharing_type_display()}）"


def item_label(item: DataItem, negative: set[str]) -> str:
    notes = []
    if item.sharing_type == SharingType.NONE:
        notes.append(str(_("not shared")))
    elif item.sharing_type == SharingType.CONDITIONAL:
        notes.append(str(_("shared on conditions")))
    if item.name in negative:
        notes.append(str(_("on the data negative list")))
    if item.personal_data != "none":
        notes.append(item.get_personal_data_display())
    return f"{item.name}（{'，'.join(notes)}）" if notes else item.name


class SharingRequestForm(forms.ModelForm):
    entry_code = forms.CharField(widget=forms.HiddenInput)
    items = forms.MultipleChoiceField(label=_("Data items requested"), widget=forms.CheckboxSelectMultiple,
                                      template_name="sharing/_items_field.html",
                                      help_text=_("Ask only for the items the duty needs."))

    class Meta:
        model = SharingRequest
        fields = ["department", "application", "items", "purpose", "legal_basis", "scenario", "period_start",
                  "period_end"]
        widgets = {"purpose": forms.Textarea(attrs={"rows": 3}), "legal_basis": forms.Textarea(attrs={"rows": 2}),
                   "scenario": forms.Textarea(attrs={"rows": 2}),
                   "period_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                   "period_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, user=None, entry: CatalogEntry | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.entry = entry
        departments = departments_for(user, SharingRequest, "add")
        self.fields["department"].queryset = departments
        self.fields["application"].queryset = Application.objects.filter(
            department__in=departments, account__is_active=True).select_related("department").order_by("code")
        self.fields["application"].help_text = _("The consumer department's system that will call the data service.")
        if user is not None and user.department_id in {d.pk for d in departments}:
            self.initial.setdefault("department", user.department_id)
        negative = set(NegativeListItem.objects.filter(resource_code=entry.code).values_list("item_name", flat=True)) \
            if entry else set()
        self.fields["items"].choices = [(i.name, item_label(i, negative)) for i in entry.items.all()] if entry else []
        self.initial["entry_code"] = entry.code if entry else ""
        today = timezone.localdate()
        self.initial.setdefault("period_start", today)
        self.initial.setdefault("period_end", today + dt.timedelta(days=365))

    def clean(self):
        data = super().clean()
        app, department = data.get("application"), data.get("department")
        if app is not None and department is not None and app.department_id != department.pk:
            self.add_error("application", _("Choose an application of the consumer department."))
        return data

    def save(self, commit=True):
        self.instance.entry = self.entry
        return super().save(commit=commit)


# --- the provider's terms -------------------------------------------------------------------------
def _number(text: str):
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def parse_row_filter(text: str, entry: CatalogEntry) -> list[dict]:
    """One condition per line: `<item> <op> <value>`; for `in` the values are separated by commas.
    Values of integer and decimal items are numbers."""
    types = {i.name: i.data_type for i in entry.items.all()}
    out, errors = [], []
    for n, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = line.split(None, 2)
        if len(parts) != 3 or parts[1] not in OPS:
            errors.append(_("Line %(n)d: write “item operator value”, the operator one of %(ops)s.")
                          % {"n": n, "ops": ", ".join(OPS)})
            continue
        item, op, raw = parts
        values = [v.strip() for v in raw.replace("，", ",").split(",") if v.strip()] if op == "in" else [raw]
        if types.get(item) in ("integer", "decimal"):
            numbers = [_number(v) for v in values]
            if any(v is None for v in numbers):
                errors.append(_("Line %(n)d: “%(item)s” takes numbers.") % {"n": n, "item": item})
                continue
            values = numbers
        out.append({"item": item, "op": op, "value": values if op == "in" else values[0]})
    if errors:
        raise ValidationError(details={"row_filter": [str(e) for e in errors]})
    return out


def row_filter_text(conditions) -> str:
    lines = []
    for c in conditions or []:
        value = c.get("value")
        lines.append(f"{c.get('item')} {c.get('op')} {','.join(map(str, value)) if isinstance(value, list) else value}")
    return "\n".join(lines)


def parse_terms(post, request: SharingRequest) -> dict:
    """The provider's approval form → the keyword arguments of `services.provider_approve`."""
    errors: dict[str, list[str]] = {}
    # The page always shows the items' check boxes: none ticked means none approved (an error),
    # never "all requested", which is what the API's omitted `items` means.
    terms: dict = {"items": post.getlist("items"), "unmasked_items": post.getlist("unmasked_items")}
    for field, maximum in (("daily_quota", QUOTA_MAX), ("rate_limit", RATE_MAX)):
        raw = (post.get(field) or "").strip()
        if not raw:
            terms[field] = None
        elif raw.isdigit() and 1 <= int(raw) <= maximum:
            terms[field] = int(raw)
        else:
            errors[field] = [str(_("Give a whole number from 1 to %(max)d.") % {"max": maximum})]
    raw = (post.get("expires_on") or "").strip()
    try:
        terms["expires_on"] = dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        errors["expires_on"] = [str(_("Enter a valid date."))]
    try:
        terms["row_filter"] = parse_row_filter(post.get("row_filter", ""), request.entry)
    except ValidationError as exc:
        errors.update(exc.details)
    if errors:
        raise ValidationError(details=errors)
    return terms
