"""Fixtures of the bundles tests: three members (two in 余江区, one in 贵溪市) whose forms share the
`name` question and whose materials share 申请书, and a published bundle of them."""

import pytest

from dgov.bundles import services
from dgov.bundles.models import BundleStatus
from dgov.cases.testing import GUIXI_APPROVAL, make_implementation, pdf_upload

NAME = {"key": "name", "label": "姓名", "type": "text", "required": True}
FORM_A = {"version": 1, "pages": [
    {"key": "name", "title": "姓名", "fields": [NAME]},
    {"key": "reason", "title": "申请事由", "fields": [{"key": "reason", "label": "申请事由", "type": "textarea",
                                                       "required": True}]}]}
FORM_B = {"version": 1, "pages": [
    {"key": "name", "title": "姓名", "fields": [{**NAME, "required": False}]},
    {"key": "extra", "title": "补充", "fields": [{"key": "extra", "label": "补充信息", "type": "text",
                                                 "required": True}]}]}
FORM_C = {"version": 1, "pages": [
    {"key": "applicant", "title": "申请人", "fields": [NAME, {"key": "years", "label": "年限", "type": "number",
                                                              "required": True}]}]}
ANSWERS = {"name": "李娜", "reason": "新生儿落户", "extra": "无", "years": 3}


@pytest.fixture
def members(db):
    a = make_implementation(form=FORM_A, materials=[{"name": "申请书"}, {"name": "居民身份证", "form": "original"}])
    b = make_implementation(department_code=GUIXI_APPROVAL, form=FORM_B,
                            materials=[{"name": "申请书"}, {"name": "照片", "required": False}])
    c = make_implementation(form=FORM_C, materials=[{"name": "证明"}])
    return [a, b, c]


@pytest.fixture
def bundle(world, members):
    bundle = services.bundle_save(actor=world.admin, data={"code": "newborn-test", "name": "测试一件事",
                                                           "audience": "person"}, implementations=members)
    return services.set_status(actor=world.admin, bundle=bundle, status=BundleStatus.PUBLISHED)


def ready_application(citizen, bundle, *, answers=None, photo: bool = True):
    """A draft with every answer and the materials uploaded."""
    application = services.start(actor=citizen, bundle=bundle)
    services.save_answers(actor=citizen, application=application, answers=ANSWERS if answers is None else answers)
    for group in services.combined_materials(services.members(bundle)):
        if group.asked_online and (group.required or photo):
            services.add_upload(actor=citizen, application=application, name=group.name, file=pdf_upload())
    application.refresh_from_db()
    return application
