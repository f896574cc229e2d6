"""The licence pages.

Officials (数据平台): 证照目录 (licence types), 电子印章 (the seal registry, with the pictures), 电子证照 (the
licences of their scope: issue from a type's form, import in bulk, a licence's page with its history,
uses and file, revoke, re-issue), 证照统计. Everyone: 证照核验 (`/licenses/verify/?id=…` is what the QR
codes hold; a file can be uploaded too). Holders (citizens and enterprises): 我的证照 (`/licenses/wallet/`:
their licences, downloads, access given to departments, every use)."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from dgov.core import audit
from dgov.core.errors import DgovError, PermissionDenied, ValidationError
from dgov.core.forms import apply_error
from dgov.core.importexport import ImportFileError
from dgov.core.permissions import get_scoped, has_permission, require_permission
from dgov.core.views import CrudView, CrudViews, ObjectListView, UserFormEditView, audit_refused_write
from dgov.licenses import api, forms, maker, selectors, services, statistics, verification, x509
from dgov.licenses.filtersets import LicenseFilterSet, LicenseTypeFilterSet, SealFilterSet
from dgov.licenses.importer import LicenseImporter
from dgov.licenses.models import License, LicenseStatus, LicenseType, Method, Seal, SealStatus, UseAction
from dgov.licenses.tables import LicenseTable, LicenseTypeTable, SealTable

NAMESPACE = "licenses"


def _fail(request, form, exc: DgovError, fields: dict | None = None) -> None:
    """A refused write onto its form (service keys renamed to the form's), audited as refused."""
    audit_refused_write(request, exc)
    details = exc.details if isinstance(exc.details, dict) else {}
    if fields and details:
        exc = ValidationError(exc.message, details={fields.get(k, k): v for k, v in details.items()})
    apply_error(form, exc)


# --- licence types --------------------------------------------------------------------------------
class LicenseTypeViews(CrudViews):
    nav_section = "data"
    model = LicenseType
    table = LicenseTypeTable
    filterset = LicenseTypeFilterSet
    form = forms.LicenseTypeForm
    lookup = "code"
    queryset = staticmethod(lambda: LicenseType.objects.select_related("defining_department")
                            .prefetch_related("issuing_departments"))
    detail_template = "licenses/licensetype_detail.html"
    views = {"add": UserFormEditView, "edit": UserFormEditView}
    ERROR_FIELDS = {"fields": "field_spec", "face": "face_field_order"}

    @classmethod
    def deletable(cls) -> bool:
        return False  # a type with licences stays; one no longer issued is retired

    @classmethod
    def save_form(cls, *, actor, form):
        instance = form.apply(form.save(commit=False))
        try:
            return services.type_save(actor=actor, license_type=instance,
                                      issuing_departments=form.cleaned_data["issuing_departments"])
        except ValidationError as exc:
            raise ValidationError(exc.message, details={cls.ERROR_FIELDS.get(k, k): v
                                                        for k, v in exc.details.items()}) from None


# --- seals ----------------------------------------------------------------------------------------
class SealViews(CrudViews):
    nav_section = "data"
    model = Seal
    table = SealTable
    filterset = SealFilterSet
    form = forms.SealForm  # the add page; "edit" is renewing (a new version)
    lookup = "es_id"
    queryset = staticmethod(lambda: Seal.objects.select_related("department", "maker").defer("image"))
    list_template = "licenses/seal_list.html"

    @classmethod
    def deletable(cls) -> bool:
        return False  # seals are revoked, never deleted: licences name them


class SealAddView(CrudView):
    crud = SealViews
    template_name = "licenses/seal_form.html"

    def _form(self, data=None, files=None):
        if not has_permission(self.request.user, Seal, "add"):
            raise PermissionDenied()
        return forms.SealForm(data, files, user=self.request.user)

    def get(self, request):
        return render(request, self.template_name, self.context(form=self._form()))

    def post(self, request):
        form = self._form(request.POST, request.FILES)
        if form.is_valid():
            try:
                seal = services.seal_create(actor=request.user, seal=form.save(commit=False),
                                            image=form.cleaned_data["image"])
            except DgovError as exc:
                _fail(request, form, exc)
            else:
                messages.success(request, _("The seal %(es_id)s was made.") % {"es_id": seal.es_id})
                return redirect(SealViews.detail_url(seal))
        return render(request, self.template_name, self.context(form=form), status=422)


class SealDetailView(CrudView):
    crud = SealViews
    template_name = "licenses/seal_detail.html"

    def get(self, request, key, renew_form=None, revoke_form=None, status=200):
        seal = self.get_object("view", key)
        info = x509.certificate_info(bytes(seal.certificate))
        user = request.user
        can_change = has_permission(user, Seal, "change") and Seal.objects.restrict(user, "change").filter(
            pk=seal.pk).exists()
        can_revoke = has_permission(user, Seal, "revoke") and Seal.objects.restrict(user, "revoke").filter(
            pk=seal.pk).exists()
        active = seal.status == SealStatus.ACTIVE
        return render(request, self.template_name, self.context(
            object=seal, certificate=info, fingerprint=x509.fingerprint(bytes(seal.certificate)),
            licenses=seal.licenses.count(),
            renew_form=renew_form or (forms.SealRenewForm(initial={"valid_until": seal.valid_until})
                                      if can_change and active else None),
            revoke_form=revoke_form or (forms.ReasonForm() if can_revoke and active else None)), status=status)


class SealRenewView(SealDetailView):
    def post(self, request, key):
        seal = self.get_object("change", key)
        form = forms.SealRenewForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                seal = services.seal_renew(actor=request.user, seal=seal, valid_until=form.cleaned_data["valid_until"],
                                           image=form.cleaned_data["image"])
            except DgovError as exc:
                _fail(request, form, exc)
            else:
                messages.success(request, _("The seal was renewed: version %(v)d.") % {"v": seal.version})
                return redirect(SealViews.detail_url(seal))
        return self.get(request, key, renew_form=form, status=422)


class RevokeMixin:
    """POST a reason to revoke the page's object (`revoke(actor, obj, reason)`), then back to its page."""

    action = "change"
    done = ""

    def post(self, request, key):
        obj = self.get_object(self.action, key)
        form = forms.ReasonForm(request.POST)
        if form.is_valid():
            try:
                self.revoke(request.user, obj, form.cleaned_data["reason"])
            except DgovError as exc:
                _fail(request, form, exc)
            else:
                messages.success(request, _(self.done))
                return redirect(self.crud.detail_url(obj))
        return self.get(request, key, revoke_form=form, status=422)


class SealRevokeView(RevokeMixin, SealDetailView):
    action, done = "revoke", gettext_noop("The seal was revoked.")

    @staticmethod
    def revoke(actor, seal, reason):
        services.seal_revoke(actor=actor, seal=seal, reason=reason)


def seal_image(request, es_id: str):
    """A seal's picture: public, like the stamp on every licence it seals."""
    seal = Seal.objects.filter(es_id=es_id).only("image").first()
    if seal is None:
        raise Http404
    response = HttpResponse(bytes(seal.image), content_type="image/png")
    response["Cache-Control"] = "public, max-age=3600"
    return response


# --- licences -------------------------------------------------------------------------------------
class LicenseViews(CrudViews):
    nav_section = "data"
    model = License
    table = LicenseTable
    filterset = LicenseFilterSet
    list_template = "licenses/license_list.html"
    queryset = staticmethod(selectors.licenses)

    @classmethod
    def deletable(cls) -> bool:
        return False


class LicenseListView(ObjectListView):
    def context(self, **extra):
        return super().context(can_issue=has_permission(self.request.user, License, "add"), **extra)


class IssueView(CrudView):
    """Choose a type you may issue, then fill in the form built from its fields."""

    crud = LicenseViews
    template_name = "licenses/issue_form.html"

    def _type(self, request):
        require_permission(request.user, License, "add")
        code = request.GET.get("type") or request.POST.get("type") or ""
        if not code:
            return None
        found = selectors.issuable_types(request.user).filter(code=code[:21]).first()
        if found is None:
            raise Http404
        return found

    def get(self, request):
        license_type = self._type(request)
        if license_type is None:
            return render(request, "licenses/issue_choose.html", self.context(
                types=selectors.issuable_types(request.user)))
        return self._page(request, forms.IssueForm(user=request.user, license_type=license_type))

    def _page(self, request, form, status=200):
        return render(request, self.template_name, self.context(form=form, license_type=form.license_type,
                                                                title=_("Issue a licence")), status=status)

    def post(self, request):
        license_type = self._type(request)
        if license_type is None:
            raise Http404
        form = forms.IssueForm(request.POST, user=request.user, license_type=license_type)
        if form.is_valid():
            data = form.cleaned_data
            try:
                lic = services.issue(actor=request.user, license_type=license_type, issuer=data["issuer"],
                                     holder_kind=license_type.holder_kind, holder_code=data["holder_code"],
                                     holder_name=data["holder_name"], fields=form.values(),
                                     physical_number=data["physical_number"],
                                     case_reference=data["case_reference"] or None)
            except DgovError as exc:
                _fail(request, form, exc, _form_fields(form, exc))
            else:
                messages.success(request, _("The licence was issued and sealed."))
                return redirect(LicenseViews.detail_url(lic))
        return self._page(request, form, status=422)


def _form_fields(form, exc: DgovError) -> dict:
    """Service error keys → the form's field names."""
    details = exc.details if isinstance(exc.details, dict) else {}
    return {key: form.field_name(key) or key for key in details}


class LicenseDetailView(CrudView):
    crud = LicenseViews
    template_name = "licenses/license_detail.html"

    def get(self, request, key, revoke_form=None, status=200):
        lic = self.get_object("view", key)
        audit.record_read(lic, ["holder_code", "metadata"])
        user = request.user
        can_change = has_permission(user, License, "change") and License.objects.restrict(user, "change").filter(
            pk=lic.pk).exists()
        from dgov.licenses.metadata import ordered

        values = [(f["label"], lic.metadata.get(f["key"], "")) for f in ordered(lic.license_type)]
        return render(request, self.template_name, self.context(
            object=lic, values=values, events=lic.events.select_related("actor"),
            uses=lic.uses.select_related("department")[:100],
            grants=lic.grants.select_related("department")[:100], verify_url=services.verify_url(lic.identifier),
            successor=License.objects.filter(previous=lic).only("pk", "identifier").first(),
            can_revoke=can_change and lic.status == LicenseStatus.VALID,
            can_reissue=can_change and lic.status in (LicenseStatus.VALID, LicenseStatus.EXPIRED),
            revoke_form=revoke_form or forms.ReasonForm()), status=status)


class LicenseFileView(CrudView):
    crud = LicenseViews

    def get(self, request, key):
        lic = get_scoped(request.user, "view", License.objects.select_related("license_type"), pk=key)
        audit.record_read(lic, ["holder_code", "metadata", "file"])
        return api.file_response(lic)


class LicenseRevokeView(RevokeMixin, LicenseDetailView):
    done = gettext_noop("The licence was revoked.")

    @staticmethod
    def revoke(actor, lic, reason):
        services.revoke(actor=actor, license=lic, reason=reason)


class LicenseReissueView(CrudView):
    crud = LicenseViews
    template_name = "licenses/issue_form.html"

    def _form(self, lic, data=None):
        initial = {"holder_name": lic.holder_name, "physical_number": lic.physical_number,
                   **{f"f_{k}": v for k, v in lic.metadata.items()}}
        return forms.ReissueForm(data, initial=initial, license_type=lic.license_type)

    def _page(self, request, lic, form, status=200):
        return render(request, self.template_name, self.context(form=form, license_type=lic.license_type, object=lic,
                                                                title=_("Re-issue a licence")), status=status)

    def get(self, request, key):
        lic = self.get_object("change", key)
        return self._page(request, lic, self._form(lic))

    def post(self, request, key):
        lic = self.get_object("change", key)
        form = self._form(lic, request.POST)
        if form.is_valid():
            try:
                new = services.reissue(actor=request.user, license=lic, reason=form.cleaned_data["reason"],
                                       fields=form.values(), holder_name=form.cleaned_data["holder_name"],
                                       physical_number=form.cleaned_data["physical_number"])
            except DgovError as exc:
                _fail(request, form, exc, _form_fields(form, exc))
            else:
                messages.success(request, _("Version %(v)02d was issued; the previous one is marked changed.")
                                 % {"v": new.version})
                return redirect(LicenseViews.detail_url(new))
        return self._page(request, lic, form, status=422)


class LicenseImportView(CrudView):
    """Check a spreadsheet of existing physical licences (dry run), then import it."""

    crud = LicenseViews
    template_name = "licenses/import.html"

    def _context(self, form, **extra):
        return self.context(form=form, types=selectors.issuable_types(self.request.user), **extra)

    def get(self, request):
        require_permission(request.user, License, "add")
        code = request.GET.get("template")
        if code:
            license_type = selectors.issuable_types(request.user).filter(code=code[:21]).first()
            if license_type is None:
                raise Http404
            return LicenseImporter(request.user, license_type, None).template()
        return render(request, self.template_name, self._context(forms.ImportForm(user=request.user)))

    def post(self, request):
        require_permission(request.user, License, "add")
        form = forms.ImportForm(request.POST, request.FILES, user=request.user)
        result, file_error = None, None
        if form.is_valid():
            data = form.cleaned_data
            importer = LicenseImporter(request.user, data["license_type"], data["issuer"])
            try:
                result = importer.run(data["file"].name, data["file"].read(), dry_run=data["dry_run"])
            except ImportFileError as exc:
                file_error = str(exc.message)
            except DgovError as exc:
                _fail(request, form, exc)
            if result is not None and result.committed:
                messages.success(request, _("Imported: %(n)d licences issued and sealed.") % {"n": result.created})
                return redirect(LicenseViews.name("list"))
        ok = result is not None and result.ok
        return render(request, self.template_name, self._context(form, result=result, file_error=file_error),
                      status=200 if ok else 422)


class StatisticsView(CrudView):
    crud = LicenseViews
    template_name = "licenses/statistics.html"

    def get(self, request):
        require_permission(request.user, License, "view")
        form = forms.StatisticsForm(request.GET or None)
        since = until = None
        if form.is_valid():
            since, until = form.cleaned_data.get("since"), form.cleaned_data.get("until")
        try:
            figures = statistics.figures(request.user, statistics.period(since, until))
        except ValidationError as exc:
            apply_error(form, exc)
            figures = statistics.figures(request.user, statistics.period())
        return render(request, self.template_name, self.context(form=form, figures=figures, cards=[
            ("licenses", _("Licences"), figures["licenses"]["total"]),
            ("valid", _("Valid licences"), figures["licenses"]["valid"]),
            ("uses", _("Uses through grants"), figures["uses"]["total"]),
            ("verifications", _("Verifications"), figures["verifications"]["total"])], charts=[
            ("by-type", _("Licences by type"), _("Licence type"), _("Licences"), figures["by_type"], 2),
            ("by-issuer", _("Licences by issuing department"), _("Issuing department"), _("Licences"),
             figures["by_issuer"], 3),
            ("by-status", _("Licences by status"), _("Status"), _("Licences"), figures["by_status"], 4),
            ("by-department", _("Uses by department"), _("Department"), _("Uses"),
             figures["uses"]["by_department"], 1)]))


# --- pulls through the holders' grants (免证办) -------------------------------------------------------
class GrantedView(CrudView):
    """The licences holders let the user's departments use, and pulling one (each pull is a use the
    holder sees)."""

    crud = LicenseViews

    def _grants(self, request):
        grants = selectors.usable_grants(request.user)
        if grants is None:
            raise PermissionDenied()
        now = timezone.now()
        return (grants.filter(revoked_at__isnull=True, valid_from__lte=now, expires_at__gt=now)
                .select_related("license__license_type", "license__issuer", "department")
                .order_by("expires_at", "pk"))

    def get(self, request):
        return render(request, "licenses/granted_list.html", self.context(grants=self._grants(request)[:500]))


class GrantedPullView(GrantedView):
    def _pull(self, request, key, action):
        grant = self._grants(request).filter(pk=key).first()
        if grant is None:
            raise Http404
        lic = License.objects.select_related("license_type", "issuer", "seal").get(pk=grant.license_id)
        services.record_use(actor=request.user, license=lic, grant=grant, action=action,
                            case_reference=grant.case_reference)
        return grant, lic

    def get(self, request, key):
        grant, lic = self._pull(request, key, UseAction.VIEW)
        from dgov.licenses.metadata import ordered

        values = [(f["label"], lic.metadata.get(f["key"], "")) for f in ordered(lic.license_type)]
        return render(request, "licenses/granted_detail.html", self.context(object=lic, grant=grant, values=values))


class GrantedFileView(GrantedPullView):
    def get(self, request, key):
        _grant, lic = self._pull(request, key, UseAction.FILE)
        return api.file_response(lic)


# --- verification (public) ------------------------------------------------------------------------
def verify_view(request):
    """证照核验: the identifier from the QR code (`?id=`) or typed (`?identifier=`), or an uploaded file."""
    form = forms.VerifyForm()
    result, status = None, 200
    identifier = request.GET.get("id") or request.GET.get("identifier") or ""
    if request.method == "POST" or identifier:
        if not api.VerifyThrottle().allow_request(request):
            return render(request, "429.html", status=429)
    if request.method == "POST":
        form = forms.VerifyForm(request.POST, request.FILES)
        if form.is_valid():
            result = verification.verify_file(form.cleaned_data["file"])
        if result is None:
            status = 422
    elif identifier:
        result = verification.verify_identifier(identifier[:200], method=Method.QR if "id" in request.GET
                                                else Method.IDENTIFIER)
    current = maker.certificate()
    return render(request, "licenses/verify.html", {
        "form": form, "result": result, "identifier": identifier[:200], "nav_active": "portal",
        "maker_fingerprint": current.fingerprint, "seal": getattr(result.license, "seal", None) if result else None},
        status=status)


def maker_certificate(request):
    """The seal maker's current certificate (PEM), for verifying with OpenSSL."""
    current = maker.certificate()
    response = HttpResponse(x509.to_pem(bytes(current.certificate)), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'attachment; filename="dgov-seal-maker.pem"'
    return response


# --- the holder's wallet --------------------------------------------------------------------------
def _holder(request):
    """Only citizens and enterprises hold licences."""
    if selectors.holder_q(request.user) is None:
        raise DjangoPermissionDenied


@login_required
def wallet_view(request, grant_form=None, status=200):
    if selectors.awaits_verification(request.user):
        # A citizen or enterprise not yet verified: say why the wallet is empty and what to do.
        return render(request, "licenses/wallet.html", {"unverified": True, "licenses": [],
                                                        "enterprise": request.user.kind == "enterprise"})
    _holder(request)
    held = list(selectors.wallet(request.user, current_only=True))
    return render(request, "licenses/wallet.html", {
        "licenses": held, "grants": selectors.holder_grants(request.user)[:200],
        "uses": selectors.holder_uses(request.user)[:200], "now": timezone.now(),
        "grant_form": grant_form or forms.GrantForm(licenses=[lic for lic in held
                                                              if lic.status == LicenseStatus.VALID])}, status=status)


@login_required
def wallet_file(request, key: int):
    lic = selectors.wallet(request.user).filter(pk=key).first()
    if lic is None:
        raise Http404
    lic = License.objects.select_related("license_type").get(pk=lic.pk)
    audit.record_read(lic, ["holder_code", "metadata", "file"])
    return api.file_response(lic)


@login_required
@require_POST
def wallet_grant(request):
    _holder(request)
    held = [lic for lic in selectors.wallet(request.user, current_only=True) if lic.status == LicenseStatus.VALID]
    form = forms.GrantForm(request.POST, licenses=held)
    if form.is_valid():
        data = form.cleaned_data
        lic = next(lic for lic in held if lic.identifier == data["license"])
        try:
            services.grant_create(actor=request.user, license=lic, department=data["department"],
                                  expires_at=timezone.now() + dt.timedelta(days=data["days"]),
                                  case_reference=data["case_reference"], purpose=data["purpose"])
        except DgovError as exc:
            _fail(request, form, exc, {"expires_at": "days"})
        else:
            messages.success(request, _("%(department)s may now use the licence until the access ends.")
                             % {"department": data["department"].name})
            return redirect("licenses:wallet")
    return wallet_view(request, grant_form=form, status=422)


@login_required
@require_POST
def wallet_grant_revoke(request, key: int):
    grant = selectors.holder_grants(request.user).filter(pk=key).first()
    if grant is None:
        raise Http404
    try:
        services.grant_revoke(actor=request.user, grant=grant)
    except DgovError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The access was withdrawn."))
    return redirect("licenses:wallet")


def urls() -> list:
    LicenseViews.namespace = SealViews.namespace = LicenseTypeViews.namespace = NAMESPACE
    base = "data/licenses"
    return [
        *LicenseTypeViews.urls(f"{base}/types", NAMESPACE),
        path(f"{base}/seals/", ObjectListView.as_view(crud=SealViews), name="seal_list"),
        path(f"{base}/seals/add/", SealAddView.as_view(), name="seal_add"),
        path(f"{base}/seals/<str:key>/", SealDetailView.as_view(), name="seal_detail"),
        path(f"{base}/seals/<str:key>/renew/", SealRenewView.as_view(), name="seal_renew"),
        path(f"{base}/seals/<str:key>/revoke/", SealRevokeView.as_view(), name="seal_revoke"),
        path(f"{base}/", LicenseListView.as_view(crud=LicenseViews), name="license_list"),
        path(f"{base}/issue/", IssueView.as_view(), name="license_issue"),
        path(f"{base}/import/", LicenseImportView.as_view(), name="license_import"),
        path(f"{base}/statistics/", StatisticsView.as_view(), name="statistics"),
        path(f"{base}/granted/", GrantedView.as_view(), name="granted_list"),
        path(f"{base}/granted/<int:key>/", GrantedPullView.as_view(), name="granted_detail"),
        path(f"{base}/granted/<int:key>/file/", GrantedFileView.as_view(), name="granted_file"),
        path(f"{base}/<int:key>/", LicenseDetailView.as_view(), name="license_detail"),
        path(f"{base}/<int:key>/file/", LicenseFileView.as_view(), name="license_file"),
        path(f"{base}/<int:key>/revoke/", LicenseRevokeView.as_view(), name="license_revoke"),
        path(f"{base}/<int:key>/reissue/", LicenseReissueView.as_view(), name="license_reissue"),
        path("licenses/verify/", verify_view, name="verify"),
        path("licenses/seals/<str:es_id>/image.png", seal_image, name="seal_image"),
        path("licenses/trust/seal-maker.pem", maker_certificate, name="maker_certificate"),
        path("licenses/wallet/", wallet_view, name="wallet"),
        path("licenses/wallet/grants/", wallet_grant, name="wallet_grant"),
        path("licenses/wallet/grants/<int:key>/revoke/", wallet_grant_revoke, name="wallet_grant_revoke"),
        path("licenses/wallet/<int:key>/file/", wallet_file, name="wallet_file"),
    ]

