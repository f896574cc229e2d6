"""Cases (办件, issue 8; docs/cases.md): applications for a service item's implementation and their
processing under statutory clocks.

- `Case`: one application: the implementation applied for, the applicant (a citizen's or an
  enterprise's account; the holder's name and code, the code encrypted with a blind index), the form's
  answers (encrypted JSON), the state, and the clock: received, the intake deadline (5 working days to
  send a 补正 notice, after which the case counts as accepted from receipt), accepted, the decision
  deadline, the pauses (补正, special procedures) and the current review step.
- `CaseEvent`: every transition and note, with who, the reason and whether the applicant sees it.
- `CaseMaterial`: a material provided for the case: an uploaded file (encrypted at rest, SM3 digest),
  an e-licence pulled through the holder's grant (免证办), or paper handed in at the counter.
- `Correction`: a 补正 notice: one complete list of what is missing or wrong.
- `MessageTemplate`: the templated messages sent to applicants at each step (in-app and outbox).

Scope: a case goes by its implementing department (officials) and its applicant (owner).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy

from dgov.core.models import BaseModel
from dgov.core.permissions import ScopeSpec
from dgov.crypto.fields import EncryptedTextField, register_blind_index

#: the applicant's code (identity number or credit code) is indexed under the key of NaturalPerson.id_number
APPLICANT_INDEX = "id_number"


class State(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("case state", "draft")  # 草稿
    SUBMITTED = "submitted", pgettext_lazy("case state", "submitted")  # 收件 / 待受理
    CORRECTION = "correction", pgettext_lazy("case state", "awaiting correction")  # 补正
    ACCEPTED = "accepted", pgettext_lazy("case state", "accepted")  # 受理
    IN_REVIEW = "in_review", pgettext_lazy("case state", "in review")  # 审查
    SUSPENDED = "suspended", pgettext_lazy("case state", "special procedure")  # 特别程序（听证、检验检测、专家评审）
    APPROVED = "approved", pgettext_lazy("case state", "approved")  # 准予
    REFUSED = "refused", pgettext_lazy("case state", "refused")  # 不予
    NOT_ACCEPTED = "not_accepted", pgettext_lazy("case state", "not accepted")  # 不予受理
    DELIVERED = "delivered", pgettext_lazy("case state", "result delivered")  # 送达
    CLOSED = "closed", pgettext_lazy("case state", "closed")  # 办结
    WITHDRAWN = "withdrawn", pgettext_lazy("case state", "withdrawn")  # 撤回


class Outcome(models.TextChoices):
    APPROVED = "approved", pgettext_lazy("case state", "approved")
    REFUSED = "refused", pgettext_lazy("case state", "refused")
    NOT_ACCEPTED = "not_accepted", pgettext_lazy("case state", "not accepted")
    WITHDRAWN = "withdrawn", pgettext_lazy("case state", "withdrawn")


class Channel(models.TextChoices):
    ONLINE = "online", _("online")          # 网上申请
    COUNTER = "counter", _("at the counter")  # 窗口
    PROACTIVE = "proactive", _("without application")  # 免申即享


class Case(BaseModel):
    reference = models.CharField(_("reference"), max_length=24, unique=True, null=True, blank=True,
                                 help_text=_("Given on submission."))
    implementation = models.ForeignKey("services.Implementation", models.PROTECT, related_name="cases",
                                       verbose_name=_("implementation"))
    implementation_version = models.PositiveIntegerField(_("implementation version"), default=1)
    title = models.CharField(_("item"), max_length=200)
    department = models.ForeignKey("orgs.Department", models.PROTECT, related_name="cases",
                                   verbose_name=_("implementing department"))
    region = models.ForeignKey("orgs.Region", models.PROTECT, related_name="cases", verbose_name=_("region"))
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True,
                                  related_name="cases", verbose_name=_("applicant account"))
    enterprise = models.ForeignKey("accounts.Enterprise", models.PROTECT, null=True, blank=True,
                                   related_name="cases", verbose_name=_("enterprise"))
    applicant_name = models.CharField(_("applicant"), max_length=200)
    applicant_code = EncryptedTextField(_("identity number or credit code"), blank=True)
    applicant_code_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    contact_phone = EncryptedTextField(_("contact phone"), blank=True)
    #: the form's answers as JSON text, encrypted (they hold personal data)
    answers = EncryptedTextField(_("answers"), blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    case_kind = models.CharField(_("case kind"), max_length=10, choices=[("instant", _("instant case")),
                                                                       ("promised", _("promised case"))])
    state = models.CharField(_("state"), max_length=14, choices=State.choices, default=State.DRAFT)
    outcome = models.CharField(_("outcome"), max_length=14, choices=Outcome.choices, blank=True)
    # --- the clock -------------------------------------------------------------------------------
    limit_days = models.PositiveIntegerField(_("time limit"), default=0)
    limit_unit = models.CharField(_("time limit in"), max_length=8, default="working")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    received_on = models.DateField(_("received on"), null=True, blank=True)
    intake_due_on = models.DateField(_("acceptance decision due on"), null=True, blank=True)
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    deemed_accepted = models.BooleanField(_("accepted by law (no correction notice in time)"), default=False)
    due_on = models.DateField(_("decision due on"), null=True, blank=True)
    paused_on = models.DateField(_("clock paused since"), null=True, blank=True)
    paused_days = models.PositiveIntegerField(_("days the clock was paused"), default=0)
    step = models.PositiveSmallIntegerField(_("review step"), default=0)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalated_on = models.DateField(_("escalated on"), null=True, blank=True)
    #: the last clock warning sent to the department ("", "yellow", "red"), so `tick` warns once per level
    warning_sent = models.CharField(_("warning sent"), max_length=8, blank=True)
    result_license = models.CharField(_("result licence"), max_length=80, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = ScopeSpec(region="region", department="department", owner="applicant_id")
    audit_masked_fields = ("applicant_code", "contact_phone", "answers")

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-submitted_at", "-pk"]
        permissions = [("accept_case", gettext_noop("Can accept, refuse to accept and ask for corrections")),
                       ("review_case", gettext_noop("Can review cases and suspend or resume their clock")),
                       ("decide_case", gettext_noop("Can decide cases")),
                       ("deliver_case", gettext_noop("Can deliver results and close cases")),
                       ("supervise_case", gettext_noop("Is told of overdue cases (supervision)"))]
        indexes = [models.Index(fields=["department", "state", "due_on"], name="cases_dept_state_due"),
                   models.Index(fields=["applicant", "state"], name="cases_applicant_state")]

    def __str__(self):
        return f"{self.reference or _('draft')} {self.title}"


register_blind_index(APPLICANT_INDEX, "cases.Case", "applicant_code", "applicant_code_index")


class ReferenceCounter(models.Model):
    """The last sequence number of the case references given on one day (`YT` + yyyymmdd + 6 digits),
    handed out under the row's lock (`services.next_reference`)."""

    day = models.DateField(_("day"), unique=True)
    value = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("case reference counter")
        verbose_name_plural = _("case reference counters")
        default_permissions = ()

    def __str__(self):
        return f"{self.day} {self.value}"


class CaseEvent(models.Model):
    case = models.ForeignKey(Case, models.CASCADE, related_name="events", verbose_name=_("case"))
    action = models.CharField(_("action"), max_length=20)
    from_state = models.CharField(_("state before"), max_length=14, choices=State.choices, blank=True)
    to_state = models.CharField(_("state after"), max_length=14, choices=State.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("by"))
    department = models.ForeignKey("orgs.Department", models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("department"))
    reason = models.TextField(_("reason"), max_length=2000, blank=True)
    public = models.BooleanField(_("shown to the applicant"), default=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["case", "created_at", "pk"]
        default_permissions = ()

    def __str__(self):
        return f"{self.case_id} {self.action}"


class MaterialKind(models.TextChoices):
    UPLOAD = "upload", _("uploaded file")
    LICENCE = "licence", _("e-licence (licence-free handling)")
    PAPER = "paper", _("paper at the counter")


class CaseMaterial(models.Model):
    case = models.ForeignKey(Case, models.CASCADE, related_name="materials", verbose_name=_("case"))
    material = models.ForeignKey("services.Material", models.SET_NULL, null=True, blank=True, related_name="+",
                                 verbose_name=_("material"))
    name = models.CharField(_("material"), max_length=200)
    kind = models.CharField(_("provided as"), max_length=8, choices=MaterialKind.choices)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveIntegerField(_("size"), default=0)
    sm3 = models.CharField(_("SM3 digest"), max_length=64, blank=True)
    #: the file, SM4-GCM encrypted (dgov.crypto) — never stored in the clear
    content = models.BinaryField(_("content"), null=True, blank=True, editable=False)
    license_identifier = models.CharField(_("licence identifier"), max_length=80, blank=True)
    license_grant = models.ForeignKey("licenses.LicenseGrant", models.SET_NULL, null=True, blank=True,
                                      related_name="+", verbose_name=_("licence grant"))
    superseded = models.BooleanField(_("replaced by a later one"), default=False)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("case material")
        verbose_name_plural = _("case materials")
        ordering = ["case", "material__order", "pk"]
        default_permissions = ()

    def __str__(self):
        return self.name


class Correction(models.Model):
    """A 补正 notice: everything missing or wrong, in one list (`items`: [{"material": id or null,
    "name": "…", "reason": "…"}]); answered when the applicant resubmits."""

    case = models.ForeignKey(Case, models.CASCADE, related_name="corrections", verbose_name=_("case"))
    items = models.JSONField(_("what is missing or wrong"))
    note = models.TextField(_("note"), max_length=2000, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("issued by"))
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("correction notice")
        verbose_name_plural = _("correction notices")
        ordering = ["case", "issued_at"]
        default_permissions = ()


class MessageTemplate(BaseModel):
    """A message the platform sends to applicants at a step (GOV.UK Notify style): placeholders in
    ((double brackets)) are filled from the case. Loaded as reference data; the wording may be edited."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), max_length=2000)
    sms = models.BooleanField(_("also by SMS"), default=False)
    active = models.BooleanField(_("active"), default=True)

    scope = ScopeSpec(shared=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["code"]

    def __str__(self):
        return self.name
