"""A data service shared by file (余江区民政局's dataset with four rows), consumer applications with
SM2 credentials and grants on it, and the packages directory of the test's own."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from dgov.aggregation.testing import datastore, datastore_session  # noqa: F401

ROWS = [
    {"xm": "张三", "sfzh": "360602199001011234", "lxdh": "13812345678", "djrq": "2024-03-01"},
    {"xm": "李四", "sfzh": "360603198505052345", "lxdh": "13900001111", "djrq": "2025-07-15"},
    {"xm": "欧阳娜娜", "sfzh": "360681197712123456", "lxdh": "13722223333", "djrq": "2023-11-30"},
    {"xm": "=HYPERLINK(\"http://x\")", "sfzh": "360681197712120001", "lxdh": "13700000000", "djrq": "2022-01-01"},
]


@dataclass
class Recipient:
    application: object
    grant: object
    private_key: object
    credential: object


@pytest.fixture(autouse=True)
def _packages_dir(settings, tmp_path):
    settings.DGOV_FILEEXCHANGE_DIR = tmp_path / "packages"


@pytest.fixture
def dataset(datastore, db):  # noqa: F811
    from dgov.aggregation.testing import make_dataset

    ds = make_dataset(sharing_method="file")
    datastore.upsert(ds, ROWS)
    return ds


def make_recipient(dataset, *, department: str | None = None, items=("姓名", "公民身份号码", "登记日期"),
                   algorithm: str = "SM2", **grant_values) -> Recipient:
    from dgov.catalog.testing import make_superuser
    from dgov.crypto.primitives import SM2PrivateKey
    from dgov.exchange.services import credential_create
    from dgov.sharing.services import grant_create
    from dgov.sharing.testing import YUJIANG_HRSS, make_app

    root = make_superuser()
    application = make_app(department or YUJIANG_HRSS)
    now = timezone.now()
    grant = grant_create(actor=root, request=None, application=application, entry=dataset.entry, items=list(items),
                         valid_from=now - dt.timedelta(minutes=1), expires_at=now + dt.timedelta(days=30),
                         **grant_values)
    private = SM2PrivateKey.generate() if algorithm == "SM2" else None
    credential, _secret = credential_create(actor=root, application=application, algorithm=algorithm,
                                            public_key=private.public_key().to_pem() if private else "")
    return Recipient(application, grant, private, credential)


@pytest.fixture
def recipient(dataset):
    return make_recipient(dataset)


@pytest.fixture
def consumer_official(db):
    """余江区人社局's data administrator (the consumer side)."""
    from dgov.catalog.testing import make_editor
    from dgov.sharing.testing import YUJIANG_HRSS

    return make_editor(YUJIANG_HRSS, "hrss_data")


@pytest.fixture
def provider_official(db):
    from dgov.catalog.testing import YUJIANG_CIVIL_AFFAIRS, make_editor

    return make_editor(YUJIANG_CIVIL_AFFAIRS, "ca_data")


@pytest.fixture
def outsider(db):
    from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, make_editor

    return make_editor(GUIXI_CIVIL_AFFAIRS, "gx_data")


@pytest.fixture
def centre(db):
    from dgov.catalog.testing import make_reviewer

    return make_reviewer("centre")


def platform_pem() -> str:
    from dgov.fileexchange import signing

    return signing.public_key_pem()
