"""The Simplified Chinese catalogue: complete, compiled, and actually used by the UI and the API."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.utils import translation

from dgov.accounts.forms import RegisterCitizenForm
from dgov.accounts.permissions import permission_label
from dgov.core import errors
from dgov.core.validators import id_number_check_char, validate_id_number

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

# %(name)s / %(n)d style placeholders and bare %s / %d.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdi]|%[sdi]")
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def po():
    return polib.pofile(str(PO_PATH))


def _pairs(catalogue) -> set[tuple]:
    """Every translated entry as (context, msgid, plural msgid, translations)."""
    pairs = set()
    for e in catalogue:
        if e.obsolete or not e.msgid:
            continue
        translations = tuple(sorted(e.msgstr_plural.items())) if e.msgid_plural else (e.msgstr,)
        pairs.add((e.msgctxt or "", e.msgid, e.msgid_plural or "", translations))
    return pairs


def test_catalogue_is_complete(po):
    assert len(po) > 300
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert not po.metadata_is_fuzzy
    assert po.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
    for e in po:
        if e.msgid_plural:
            assert set(e.msgstr_plural) == {0}, e.msgid
            assert e.msgstr_plural[0].strip(), e.msgid


def test_translations_keep_placeholders_and_are_chinese(po):
    for e in po.translated_entries():
        translations = list(e.msgstr_plural.values()) if e.msgid_plural else [e.msgstr]
        for t in translations:
            assert sorted(PLACEHOLDER.findall(t)) == sorted(PLACEHOLDER.findall(e.msgid)), e.msgid
            assert HAN.search(t), f"not translated into Chinese: {e.msgid!r} -> {t!r}"


def test_committed_mo_matches_po(po):
    """A .po edited without recompiling leaves a stale .mo, which this catches."""
    assert MO_PATH.exists(), "run `python -m django compilemessages` in dgov/"
    expected = _pairs(polib.mofile(po.to_binary()))
    committed = _pairs(polib.mofile(str(MO_PATH)))
    assert expected == _pairs(po)
    assert committed - expected == set(), "the .mo has entries the .po does not"
    assert expected - committed == set(), "the .mo lacks entries of the .po: recompile it"


def test_error_messages_are_chinese():
    with translation.override("zh-hans"):
        assert str(errors.AuthenticationFailed().message) == "用户名或密码不正确。"
        assert str(errors.AccountLocked().message) == "登录失败次数过多，账号已锁定，请稍后再试。"
        assert str(errors.OtpRequired().message) == "需要输入身份验证器中的动态验证码。"
        assert errors.NotAuthenticated().as_dict()["message"] == "请先登录。"
        first17 = "36060219900101123"
        wrong = next(c for c in "0123456789X" if c != id_number_check_char(first17))
        with pytest.raises(ValidationError) as exc:
            validate_id_number(first17 + wrong)
        assert exc.value.messages == ["身份证号校验位错误，请核对后重新输入。"]
    with translation.override("en"):
        assert str(errors.AuthenticationFailed().message) == "The username or password is incorrect."


@pytest.mark.django_db
def test_person_name_and_unit_name_are_told_apart():
    """"Name" of a person is 姓名, of a region, department or role 名称 (message context "person")."""
    with translation.override("zh-hans"):
        assert str(RegisterCitizenForm().fields["real_name"].label) == "姓名"
        assert translation.gettext("Name") == "名称"


@pytest.mark.django_db
def test_empty_choice_label_is_translated():
    """Django 6.1's "- Select an option -" is not in Django's own zh_Hans catalogue; ours has it."""
    with translation.override("zh-hans"):
        choices = list(RegisterCitizenForm().fields["region"].choices)
        assert str(choices[0][1]) == "- 请选择 -"


@pytest.mark.django_db
def test_permission_names_are_translated():
    """Permission names are stored in English; the UI shows them in the active language."""
    view_region = Permission.objects.get(content_type__app_label="orgs", codename="view_region")
    personal = Permission.objects.get(codename="view_personal_data_naturalperson")
    export = Permission.objects.get(codename="export_auditentry")
    with translation.override("zh-hans"):
        assert permission_label(view_region) == "查看行政区划"
        assert permission_label(personal) == "查看未脱敏的个人信息"
        assert permission_label(export) == "导出审计记录"
    with translation.override("en"):
        assert permission_label(view_region) == "Can view region"
        assert permission_label(personal) == "Can view unmasked personal data"


@pytest.mark.django_db
def test_login_page_is_chinese_by_default(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "登录" in html
    assert "忘记密码？" in html
    assert "Forgot your password?" not in html
    assert response["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_login_page_is_english_with_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html
    assert "Forgot your password?" in html
    assert "忘记密码" not in html
    assert response["Content-Language"] == "en"
