"""Pages of file exchange (数据平台 → 文件交换): the packages list, preparing one (a grant and a
format), a package's page (its manifest, digests and download history) with the download, and the
platform's signing key for verifying manifests."""

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from dgov.core.errors import DgovError, PermissionDenied
from dgov.core.forms import apply_error
from dgov.core.permissions import has_permission
from dgov.core.views import CrudView, CrudViews, ObjectListView, audit_refused_write
from dgov.fileexchange import selectors, services, signing
from dgov.fileexchange.filtersets import FilePackageFilterSet
from dgov.fileexchange.forms import PackageForm
from dgov.fileexchange.models import Channel, FilePackage
from dgov.fileexchange.tables import FilePackageTable

NAMESPACE = "fileexchange"


class PackageViews(CrudViews):
    nav_section = "data"
    model = FilePackage
    table = FilePackageTable
    filterset = FilePackageFilterSet
    form = PackageForm  # the list's "Add" button; the pages are the hand-written ones below
    namespace = NAMESPACE
    list_template = "fileexchange/package_list.html"
    queryset = staticmethod(lambda: FilePackage.objects.select_related("application", "entry"))

    @classmethod
    def deletable(cls) -> bool:
        return False  # packages expire; their record and download history stay


class PackageAddView(CrudView):
    crud = PackageViews
    template_name = "fileexchange/package_form.html"

    def _form(self, data=None):
        if not has_permission(self.request.user, FilePackage, "add"):
            raise PermissionDenied()
        return PackageForm(data, user=self.request.user)

    def get(self, request):
        return render(request, self.template_name, self.context(form=self._form()))

    def post(self, request):
        form = self._form(request.POST)
        if form.is_valid():
            try:
                package = services.package_create(actor=request.user, grant=form.cleaned_data["grant"],
                                                  fmt=form.cleaned_data["format"])
            except DgovError as exc:
                audit_refused_write(request, exc)
                if isinstance(exc.details, dict) and exc.details:
                    apply_error(form, exc)
                else:
                    form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("The package was prepared: %(rows)d rows, encrypted for %(app)s.") % {
                    "rows": package.rows, "app": package.application.code})
                return redirect(PackageViews.detail_url(package))
        return render(request, self.template_name, self.context(form=form), status=422)


class PackageDetailView(CrudView):
    crud = PackageViews
    template_name = "fileexchange/package_detail.html"

    def get(self, request, key):
        package = selectors.package_for(request.user, key)
        manifest = json.loads(package.manifest)
        can_download = has_permission(request.user, FilePackage, "download") and \
            FilePackage.objects.restrict(request.user, "download").filter(pk=package.pk).exists()
        return render(request, self.template_name, self.context(
            object=package, manifest=manifest, manifest_text=json.dumps(manifest, ensure_ascii=False, indent=2),
            downloads=package.downloads.select_related("user", "application")[:200],
            can_download=can_download and not package.is_expired))


class PackageDownloadView(CrudView):
    crud = PackageViews

    def get(self, request, key):
        package = selectors.package_for(request.user, key, "download")
        try:
            data = services.download(actor=request.user, package=package, channel=Channel.PAGE)
        except DgovError as exc:
            if exc.status in (403, 404):
                raise
            messages.error(request, str(exc.message))
            return redirect(PackageViews.detail_url(package))
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{package.download_name}"'
        response["X-Package-SM3"] = package.package_sm3
        response["Cache-Control"] = "no-store"
        return response


class SigningKeyView(CrudView):
    """The platform's public key (PEM) that signs package manifests, for `openssl pkeyutl -verify`."""

    crud = PackageViews

    def get(self, request):
        if not has_permission(request.user, FilePackage, "view"):
            raise PermissionDenied()
        version = request.GET.get("version", "")
        try:
            pem = signing.public_key_pem(int(version) if version.isdigit() and len(version) < 10 else None)
        except KeyError:
            from django.http import Http404

            raise Http404 from None
        response = HttpResponse(pem, content_type="application/x-pem-file")
        response["Content-Disposition"] = 'attachment; filename="dgov-fileexchange-signing.pem"'
        return response


def urls(prefix: str) -> list:
    PackageViews.namespace = NAMESPACE
    return [
        path(f"{prefix}/", ObjectListView.as_view(crud=PackageViews), name="filepackage_list"),
        path(f"{prefix}/add/", PackageAddView.as_view(), name="filepackage_add"),
        path(f"{prefix}/signing-key.pem", SigningKeyView.as_view(), name="signing_key"),
        path(f"{prefix}/<int:key>/", PackageDetailView.as_view(), name="filepackage_detail"),
        path(f"{prefix}/<int:key>/download/", PackageDownloadView.as_view(), name="filepackage_download"),
    ]
