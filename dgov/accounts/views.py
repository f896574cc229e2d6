import base64
import io
import time
from datetime import timedelta

import segno
from django.contrib import messages
from django.contrib.auth import login as django_login
from django.contrib.auth import logout as django_logout
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dgov.accounts import selectors, services
from dgov.accounts.filtersets import ApiTokenFilterSet, ApplicationFilterSet, UserFilterSet
from dgov.accounts.forms import (
    AgentForm,
    ApplicationCreateForm,
    ApplicationForm,
    ChangePasswordForm,
    LoginForm,
    OtpForm,
    PasswordResetRequestForm,
    RegisterCitizenForm,
    RegisterEnterpriseForm,
    RoleAssignmentForm,
    RoleForm,
    SetPasswordForm,
    TokenCreateForm,
    UnverifyIdentityForm,
    UserCreateForm,
    UserForm,
    VerifyIdentityForm,
)
from dgov.accounts.models import ApiToken, Application, EnterpriseAgent, Role, RoleAssignment, TotpDevice, User
from dgov.accounts.tables import (
    APPLICATION_DETAIL_COLUMNS,
    ApiTokenTable,
    ApplicationTable,
    ApplicationTokenTable,
    RoleAssignmentTable,
    RoleTable,
    UserTable,
)
from dgov.core import audit
from dgov.core.errors import (
    AccountLocked,
    AuthenticationFailed,
    DgovError,
    OtpInvalid,
    OtpRequired,
    PermissionDenied,
)
from dgov.core.forms import apply_error
from dgov.core.permissions import get_scoped, has_permission, resolver
from dgov.core.views import (
    CrudView,
    CrudViews,
    ObjectDeleteView,
    UserFormEditView,
    audit_refused_write,
    throttle_posts,
)

BACKEND = "dgov.accounts.backends.LockoutModelBackend"
PENDING = "dgov_pending_login"
PENDING_SECONDS = 300


# --- login ------------------------------------------------------------------------------------

def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _home_for(user) -> str:
    return reverse("workbench:home") if user.is_official else reverse("accounts:profile")


def _finish_login(request, user):
    request.session.pop(PENDING, None)
    django_login(request, user, backend=BACKEND)
    return redirect(_next_url(request, _home_for(user)))


def _pending_user(request) -> User | None:
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["ts"] > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    return User.objects.filter(pk=pending["uid"], is_active=True).first()


@throttle_posts
def login_view(request):
    if request.user.is_authenticated:
        return redirect(_home_for(request.user))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.login(username=form.cleaned_data["username"], password=form.cleaned_data["password"],
                                    otp=None, channel="web")
        except OtpRequired:
            user = User.objects.get(username=form.cleaned_data["username"])
            request.session[PENDING] = {"uid": user.pk, "ts": time.time(), "next": _next_url(request, "")}
            return redirect("accounts:login_otp")
        except (AuthenticationFailed, AccountLocked) as exc:
            form.add_error(None, str(exc.message))
        else:
            if result.needs_enrolment:
                request.session[PENDING] = {"uid": result.user.pk, "ts": time.time(),
                                            "next": _next_url(request, "")}
                return redirect("accounts:login_enrol")
            return _finish_login(request, result.user)
    return render(request, "accounts/login.html", {"form": form, "next": _next_url(request, "")},
                  status=422 if form.errors else 200)


def _pending_next(request) -> str:
    return (request.session.get(PENDING) or {}).get("next", "")


def login_otp_view(request):
    user = _pending_user(request)
    if user is None:
        messages.info(request, _("Please log in again."))
        return redirect("accounts:login")
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.login_second_factor(user=user, code=form.cleaned_data["code"], channel="web")
        except AccountLocked as exc:
            request.session.pop(PENDING, None)
            messages.error(request, str(exc.message))
            return redirect("accounts:login")
        except OtpInvalid as exc:
            form.add_error("code", str(exc.message))
        else:
            nxt = _pending_next(request)
            response = _finish_login(request, user)
            return redirect(nxt) if nxt else response
    return render(request, "accounts/login_otp.html", {"form": form}, status=422 if form.errors else 200)


def _qr_data_uri(text: str) -> str:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=5, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _enrol(request, user, *, on_success):
    """Shared by first-login enrolment and enrolment from the account page."""
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.totp_confirm_enrolment(user=user, code=form.cleaned_data["code"])
        except (OtpInvalid, TotpDevice.DoesNotExist):
            form.add_error("code", _("The code does not match. Check the time on your phone and try again."))
        else:
            messages.success(request, _("Your authenticator is set up. You will need a code at every login."))
            return on_success()
        device = TotpDevice.objects.filter(user=user).first()
    else:
        try:
            device = services.totp_begin_enrolment(user=user)
        except DgovError as exc:
            messages.info(request, str(exc.message))
            return on_success()
    return render(request, "accounts/enrol.html", {
        "form": form, "secret": device.secret if device else "",
        "qr": _qr_data_uri(services.totp_uri(device)) if device else "",
    }, status=422 if form.errors else 200)


def login_enrol_view(request):
    user = _pending_user(request)
    if user is None:
        messages.info(request, _("Please log in again."))
        return redirect("accounts:login")

    def done():
        nxt = _pending_next(request)
        response = _finish_login(request, user)
        return redirect(nxt) if nxt else response

    return _enrol(request, user, on_success=done)


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        audit.record("auth.logout", request.user, actor=request.user)
    django_logout(request)
    messages.info(request, _("You have logged out."))
    return redirect("portal:home")


# --- registration and password reset ---------------------------------------------------------

@throttle_posts
def register_view(request):
    kind = request.GET.get("kind") or request.POST.get("kind") or "citizen"
    form_cls = RegisterEnterpriseForm if kind == "enterprise" else RegisterCitizenForm
    form = form_cls(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("password2")
        try:
            if kind == "enterprise":
                user = services.register_enterprise(**data)
            else:
                user = services.register_citizen(**data)
        except DgovError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Your account is registered."))
            django_login(request, user, backend=BACKEND)
            return redirect("accounts:profile")
    return render(request, "accounts/register.html", {"form": form, "kind": kind},
                  status=422 if form.errors else 200)


@throttle_posts
def password_reset_view(request):
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(
            username=form.cleaned_data["username"],
            reset_url_builder=lambda uid, token: request.build_absolute_uri(
                reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})))
        return render(request, "accounts/password_reset_sent.html")
    return render(request, "accounts/password_reset.html", {"form": form})


def password_reset_confirm_view(request, uidb64, token):
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uidb64).decode()), is_active=True)
    except (ValueError, User.DoesNotExist, UnicodeDecodeError):
        user = None
    if user is None or not services.password_reset_tokens.check_token(user, token):
        return render(request, "accounts/password_reset_invalid.html", status=400)
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_set(user=user, password=form.cleaned_data["password"])
        except DgovError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Your password has been changed. Please log in."))
            return redirect("accounts:login")
    return render(request, "accounts/password_reset_confirm.html", {"form": form},
                  status=422 if form.errors else 200)


# --- my account ------------------------------------------------------------------------------

def _profile_context(request, agent_form=None) -> dict:
    user = request.user
    data = selectors.me(user)
    ctx = {
        "me": data,
        "tokens": ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at"),
        "second_factor": TotpDevice.objects.filter(user=user, confirmed=True).exists(),
        "second_factor_required": data["second_factor"],
        "nav_active": "workbench" if user.is_official else "portal",
    }
    if data["enterprise"] is not None:
        ctx["agents"] = selectors.enterprise_agents(data["enterprise"])
        ctx["agent_form"] = agent_form or AgentForm()
    return ctx


@login_required
def profile_view(request):
    return render(request, "accounts/profile.html", _profile_context(request))


def _own_enterprise(request):
    enterprise = getattr(request.user, "enterprise", None) if request.user.kind == "enterprise" else None
    if enterprise is None:
        raise Http404
    return enterprise


@login_required
@require_POST
def profile_agent_add_view(request):
    """The enterprise account authorises a citizen as its agent (经办人)."""
    enterprise = _own_enterprise(request)
    form = AgentForm(request.POST)
    if form.is_valid():
        try:
            agent = services.enterprise_agent_find(real_name=form.cleaned_data["real_name"],
                                                   id_number=form.cleaned_data["id_number"])
            services.enterprise_agent_add(actor=request.user, enterprise=enterprise, agent=agent,
                                          valid_until=form.cleaned_data["valid_until"])
        except DgovError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The agent has been authorised."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile.html", _profile_context(request, agent_form=form), status=422)


@login_required
@require_POST
def profile_agent_revoke_view(request, link_id: int):
    enterprise = _own_enterprise(request)
    link = EnterpriseAgent.objects.filter(pk=link_id, enterprise=enterprise).first()
    if link is None:
        raise Http404
    services.enterprise_agent_revoke(actor=request.user, link=link)
    messages.success(request, _("The authorisation has been withdrawn."))
    return redirect("accounts:profile")


@login_required
def profile_personal_data_view(request):
    """Show my own unmasked personal data (audited like any read of personal data)."""
    return render(request, "accounts/personal_data.html",
                  {"data": selectors.personal_data(request.user, request.user.pk), "subject": request.user})


@login_required
def profile_password_view(request):
    form = ChangePasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_set(user=request.user, password=form.cleaned_data["password"])
        except DgovError as exc:
            apply_error(form, exc)
        else:
            django_login(request, request.user, backend=BACKEND)  # keep this session after the change
            messages.success(request, _("Your password has been changed."))
            return redirect("accounts:profile")
    return render(request, "accounts/change_password.html", {"form": form}, status=422 if form.errors else 200)


@login_required
def profile_enrol_view(request):
    return _enrol(request, request.user, on_success=lambda: redirect("accounts:profile"))


@login_required
def profile_token_view(request):
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _token, plaintext = services.token_create(user=request.user, name=form.cleaned_data["name"],
                                                  lifetime=timedelta(days=form.cleaned_data["days"]))
        return render(request, "accounts/token_created.html", {"token": plaintext})
    return render(request, "accounts/token_create.html", {"form": form}, status=422 if form.errors else 200)


@login_required
@require_POST
def profile_token_revoke_view(request, token_id: int):
    token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is not None:
        services.token_revoke(actor=request.user, token=token)
        messages.success(request, _("The token has been revoked."))
    return redirect("accounts:profile")


# --- system administration -------------------------------------------------------------------

class UserViews(CrudViews):
    """Accounts are deactivated, never deleted: their audit trail must keep pointing somewhere."""

    model = User
    table = UserTable
    filterset = UserFilterSet
    form = UserForm
    add_form = UserCreateForm
    queryset = staticmethod(lambda: User.objects.select_related("region", "department"))

    @classmethod
    def save_form(cls, *, actor, form):
        data = dict(form.cleaned_data)
        if form.instance._state.adding:
            return services.user_create(actor=actor, **data)
        for frozen in ("username", "kind"):
            data.pop(frozen, None)
        return services.user_update(actor=actor, user=User.objects.get(pk=form.instance.pk), **data)

    @staticmethod
    def delete(*, actor, instance):
        if actor.pk == instance.pk:
            raise PermissionDenied()  # nobody locks themselves out
        services.user_update(actor=actor, user=instance, is_active=False)


class UserDeactivateView(ObjectDeleteView):
    """"Deleting" an account deactivates it, which is a change: it needs `change_user` in scope."""

    def get_object(self, action, key):
        return super().get_object("change", key)


class UserDetailView(CrudView):
    """A user's page: profile, roles with scope; unlock, grant and withdraw roles."""

    crud = UserViews

    def get(self, request, key):
        return self._render(request, self.get_object("view", key), RoleAssignmentForm())

    def _render(self, request, user, form, status=200, verify_form=None, unverify_form=None):
        actor = request.user
        identity = services.identity_record(user)
        ctx = self.context(
            identity=identity,
            can_verify=identity is not None and has_permission(actor, type(identity), "verify"),
            verify_form=verify_form or VerifyIdentityForm(), unverify_form=unverify_form or UnverifyIdentityForm(),
            object=user, rows=[(c.header, c.text(user)) for c in UserTable.columns],
            assignments=selectors.role_grants(user),
            can_change=has_permission(actor, User, "change"),
            can_delete=has_permission(actor, User, "change") and user.is_active and user.pk != actor.pk,
            can_assign=has_permission(actor, RoleAssignment, "add"),
            can_unassign=has_permission(actor, RoleAssignment, "delete"),
            can_view_personal=selectors.can_view_personal_data(actor),
            assign_form=form,
        )
        return render(request, "accounts/user_detail.html", ctx, status=status)

    def post(self, request, key):
        user = self.get_object("change", key)
        action = request.POST.get("action")
        if action == "unlock":
            services.user_unlock(actor=request.user, user=user)
            messages.success(request, _("The account is unlocked."))
        elif action == "assign":
            form = RoleAssignmentForm(request.POST)
            if not form.is_valid():
                return self._render(request, user, form, status=422)
            try:
                services.role_assign(actor=request.user, user=user, **form.cleaned_data)
            except DgovError as exc:
                apply_error(form, exc)
                return self._render(request, user, form, status=422)
            messages.success(request, _("The role has been granted."))
        elif action == "unassign":
            assignment = get_scoped(request.user, "delete", RoleAssignment.objects.filter(user=user),
                                    pk=request.POST.get("assignment"))
            try:
                services.role_unassign(actor=request.user, assignment=assignment)
            except DgovError as exc:
                messages.error(request, str(exc.message))
            else:
                messages.success(request, _("The role has been withdrawn."))
        return redirect(UserViews.detail_url(user))


class UserIdentityView(UserDetailView):
    """实名核验: an identity officer verifies (or withdraws the verification of) a citizen's or an
    enterprise's identity after checking the documents in person. POST only."""

    http_method_names = ["post"]

    def post(self, request, key):
        user = self.get_object("view", key)
        verify = request.POST.get("action") == "verify"
        form = (VerifyIdentityForm if verify else UnverifyIdentityForm)(request.POST)
        forms_ = {"verify_form" if verify else "unverify_form": form}
        if not form.is_valid():
            return self._render(request, user, RoleAssignmentForm(), status=422, **forms_)
        try:
            if verify:
                services.verify_identity(actor=request.user, subject=user, **form.cleaned_data)
            else:
                services.unverify_identity(actor=request.user, subject=user, note=form.cleaned_data["note"])
        except DgovError as exc:
            if exc.status in (403, 404):
                raise  # audited as a refusal by the view's dispatch
            audit_refused_write(request, exc)
            apply_error(form, exc)
            return self._render(request, user, RoleAssignmentForm(), status=422, **forms_)
        messages.success(request, _("The identity is verified.") if verify
                         else _("The identity verification is withdrawn."))
        return redirect(UserViews.detail_url(user))


class UserPersonalDataView(CrudView):
    """Unmasked personal data of one user, for holders of the personal-data permission (audited)."""

    crud = UserViews

    def get(self, request, key):
        subject = self.get_object("view", key)
        data = selectors.personal_data(request.user, subject.pk)
        return render(request, "accounts/personal_data.html", {"data": data, "subject": subject})


UserViews.views = {"detail": UserDetailView, "delete": UserDeactivateView}


class RoleViews(CrudViews):
    model = Role
    table = RoleTable
    form = RoleForm
    lookup = "code"
    queryset = staticmethod(lambda: Role.objects.prefetch_related("permissions__content_type"))
    detail_template = "accounts/role_detail.html"

    @classmethod
    def save_form(cls, *, actor, form):
        role = None if form.instance._state.adding else Role.objects.get(pk=form.instance.pk)
        return services.role_save(actor=actor, role=role, **form.cleaned_data)

    @staticmethod
    def delete(*, actor, instance):
        services.role_delete(actor=actor, role=instance)


class RoleAssignmentViews(CrudViews):
    model = RoleAssignment
    table = RoleAssignmentTable
    queryset = staticmethod(lambda: RoleAssignment.objects.select_related("user", "role", "region", "department"))


class ApiTokenViews(CrudViews):
    """Every user's API tokens, for security administrators: see who holds what, revoke."""

    model = ApiToken
    table = ApiTokenTable
    filterset = ApiTokenFilterSet
    delete_without_form = True
    queryset = staticmethod(lambda: ApiToken.objects.select_related("user"))

    @staticmethod
    def delete(*, actor, instance):
        services.token_revoke(actor=actor, token=instance)


# --- applications: systems that call the API with their own tokens ----------------------------

class ApplicationViews(CrudViews):
    """Applications are deactivated, never deleted: the audit log keeps naming them."""

    model = Application
    table = ApplicationTable
    filterset = ApplicationFilterSet
    form = ApplicationForm
    add_form = ApplicationCreateForm
    queryset = staticmethod(lambda: Application.objects.select_related("department", "account"))

    @classmethod
    def save_form(cls, *, actor, form):
        if form.instance._state.adding:
            return services.application_create(actor=actor, **form.cleaned_data)
        return services.application_update(actor=actor, application=form.save(commit=False))

    @staticmethod
    def delete(*, actor, instance):
        services.application_deactivate(actor=actor, application=instance)


class ApplicationDetailView(CrudView):
    """An application's page: its data, its API tokens; issue a token, deactivate."""

    crud = ApplicationViews

    def get(self, request, key):
        app = self.get_object("view", key)
        user = request.user
        allows = resolver().allows
        tokens = ApiToken.objects.filter(user=app.account).order_by("-created_at")
        token_table = ApplicationTokenTable(tokens)
        token_rows = [{"token": t, "cells": [c.text(t) for c in ApplicationTokenTable.columns],
                       "can_revoke": t.revoked_at is None and bool(allows(user, "delete", t))}
                      for t in tokens]
        active = app.account.is_active
        can_change = bool(allows(user, "change", app))
        ctx = self.context(
            object=app, rows=[(c.header, c.text(app)) for c in APPLICATION_DETAIL_COLUMNS],
            token_headers=[c.header for c in token_table.columns], token_rows=token_rows,
            can_change=can_change, can_delete=False, can_issue=can_change and active,
            can_deactivate=active and bool(allows(user, "delete", app)), active=active)
        return render(request, "accounts/application_detail.html", ctx)


class ApplicationDeactivateView(ObjectDeleteView):
    """"Deleting" an application deactivates its account and revokes its tokens."""

    template_name = "accounts/application_deactivate.html"

    def post(self, request, key):
        app = self.get_object("delete", key)
        try:
            self.crud.delete(actor=request.user, instance=app)
        except DgovError as exc:
            audit_refused_write(request, exc)
            messages.error(request, str(exc.message))
        else:
            messages.success(request, _("The application is deactivated and its tokens are revoked."))
        return redirect(self.crud.detail_url(app))


class ApplicationTokenView(CrudView):
    """Issue an API token for an application: the plaintext is shown once, on the result page."""

    crud = ApplicationViews

    def _application(self, key):
        app = self.get_object("change", key)
        if not app.account.is_active:
            raise PermissionDenied(_("The application is deactivated: it cannot be given tokens."))
        return app

    def get(self, request, key):
        app = self._application(key)
        return render(request, "accounts/application_token_create.html",
                      self.context(object=app, form=TokenCreateForm()))

    def post(self, request, key):
        app = self._application(key)
        form = TokenCreateForm(request.POST)
        if not form.is_valid():
            return render(request, "accounts/application_token_create.html",
                          self.context(object=app, form=form), status=422)
        token, plaintext = services.token_create(user=app.account, name=form.cleaned_data["name"],
                                                 lifetime=timedelta(days=form.cleaned_data["days"]),
                                                 actor=request.user)
        response = render(request, "accounts/application_token_created.html",
                          self.context(object=app, token=token, plaintext=plaintext))
        add_never_cache_headers(response)  # the token must not stay in any cache
        return response


ApplicationViews.views = {"detail": ApplicationDetailView, "delete": ApplicationDeactivateView,
                          "add": UserFormEditView, "edit": UserFormEditView}
