"""Pages of the cryptography service (系统管理 → 密钥管理): keys and their versions, rotation,
minimum versions, enabling; and key policies, which let applications use keys. Key material is never
shown: only SM2 public keys."""


from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from dgov.core.errors import DgovError
from dgov.core.permissions import has_permission, resolver
from dgov.core.views import CrudView, CrudViews, UserFormEditView, audit_refused_write
from dgov.kms import selectors, services
from dgov.kms.filtersets import KeyFilterSet, KeyPolicyFilterSet
from dgov.kms.forms import KeyCreateForm, KeyEditForm, KeyPolicyForm
from dgov.kms.models import Key, KeyPolicy, KeyType
from dgov.kms.tables import KEY_DETAIL_COLUMNS, KeyPolicyTable, KeyTable, operation_labels


class KeyViews(CrudViews):
    """Keys are never deleted (ciphertexts made with them would be lost): they are disabled."""

    model = Key
    table = KeyTable
    filterset = KeyFilterSet
    form = KeyEditForm
    add_form = KeyCreateForm
    queryset = staticmethod(lambda: Key.objects.select_related("department", "application"))

    @classmethod
    def deletable(cls) -> bool:
        return False

    @classmethod
    def save_form(cls, *, actor, form):
        data = form.cleaned_data
        if form.instance._state.adding:
            return services.key_create(
                actor=actor, name=data["name"], type=data["type"], department=data["department"],
                application=data["application"], description=data["description"], exportable=data["exportable"],
                private_key_pem=data["private_key_pem"] or None)
        fields = {name: data[name] for name in KeyEditForm.Meta.fields}
        return services.key_update(actor=actor, key=Key.objects.get(pk=form.instance.pk), **fields)


class KeyDetailView(CrudView):
    """A key's page: its settings, versions (SM2: public keys), policies; rotate, enable, disable."""

    crud = KeyViews

    def get(self, request, key):
        return self._render(request, self.get_object("view", key))

    def _render(self, request, obj):
        user = request.user
        info = selectors.key_detail(obj)
        effective = obj.min_encryption_version or obj.latest_version
        versions = []
        for v in reversed(info["versions"]):
            status = []
            if v["version"] == obj.latest_version:
                status.append(_("latest"))
            if v["version"] == effective:
                status.append(_("used for encryption"))
            if v["version"] < obj.min_decryption_version:
                status.append(_("retired"))
            versions.append({**v, "status": "、".join(status)})
        can_view_policies = has_permission(user, KeyPolicy, "view")
        policies = []
        if can_view_policies:
            policies = [
                {"policy": p, "operations": operation_labels(p.operations)}
                for p in KeyPolicy.objects.restrict(user, "view").filter(key=obj).select_related("application")
            ]
        ctx = self.context(
            object=obj, rows=[(c.header, c.text(obj)) for c in KEY_DETAIL_COLUMNS],
            versions=versions, is_sm2=obj.type == KeyType.SM2,
            can_change=bool(resolver().allows(user, "change", obj)), can_delete=False,
            can_view_policies=can_view_policies, policies=policies,
            can_add_policy=bool(resolver().allows(user, "add", KeyPolicy(key=obj))),
            can_change_policy=has_permission(user, KeyPolicy, "change"),
            can_delete_policy=has_permission(user, KeyPolicy, "delete"),
        )
        return render(request, "kms/key_detail.html", ctx)

    def post(self, request, key):
        obj = self.get_object("change", key)
        action = request.POST.get("action")
        try:
            if action == "rotate":
                obj = services.key_rotate(actor=request.user, key=obj)
                messages.success(request, _("The key was rotated: version %(v)d is now the latest.")
                                 % {"v": obj.latest_version})
            elif action in ("enable", "disable"):
                services.key_update(actor=request.user, key=obj, enabled=action == "enable")
                messages.success(request, _("The key is enabled.") if action == "enable"
                                 else _("The key is disabled: no operation can use it until it is enabled again."))
        except DgovError as exc:
            audit_refused_write(request, exc)
            messages.error(request, "; ".join(exc.sentences()))
        return redirect(KeyViews.detail_url(obj))


KeyViews.views = {"detail": KeyDetailView, "add": UserFormEditView, "edit": UserFormEditView}


def _save_policy(*, actor, instance):
    return services.policy_save(actor=actor, policy=instance)


class KeyPolicyEditView(UserFormEditView):
    """Add and edit a policy. Choosing a key (htmx) replaces the operations with those of its type;
    without JavaScript, the page opened from a key (`?key=<id>`) offers them as well."""

    OPERATIONS_TARGET = "operations-field"

    def get(self, request, key=None):
        instance = self._instance(key)
        initial = {}
        if key is None and request.GET.get("key"):
            initial["key"] = request.GET["key"]
        form = self.form_class(key)(instance=instance, initial=initial)
        ctx = self.context(form=form, object=instance if key else None)
        if request.htmx and request.htmx.target == self.OPERATIONS_TARGET:
            response = render(request, "kms/_operations_fragment.html", ctx)
        else:
            response = render(request, self.template_name, ctx)
        # One URL serves the page and its fragment: caches must keep them apart.
        patch_vary_headers(response, ("HX-Request", "HX-Target"))
        return response


class KeyPolicyViews(CrudViews):
    model = KeyPolicy
    table = KeyPolicyTable
    filterset = KeyPolicyFilterSet
    form = KeyPolicyForm
    queryset = staticmethod(lambda: KeyPolicy.objects.select_related("key__department", "application"))
    save = staticmethod(_save_policy)
    views = {"add": KeyPolicyEditView, "edit": KeyPolicyEditView}
