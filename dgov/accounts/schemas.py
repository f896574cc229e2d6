from datetime import date, datetime
from typing import Annotated, Literal

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Schema
from pydantic import field_validator

from dgov.orgs.selectors import department_get, region_get


class TokenIn(Schema):
    username: str = Field(..., max_length=64)
    password: str = Field(..., max_length=256)
    otp: str | None = Field(None, max_length=12, description="One-time code, when the account has a second factor.")


class TokenOut(Schema):
    token: str
    expires_at: datetime | None


class RegisterIn(Schema):
    kind: Literal["citizen", "enterprise"]
    username: str = Field(..., max_length=64)
    password: str = Field(..., max_length=256)
    phone: str = Field(..., max_length=20)
    region_code: str | None = Field(None, max_length=12, description="Region of residence or registration.")
    # citizens
    real_name: str | None = Field(None, max_length=100)
    id_number: str | None = Field(None, max_length=18)
    # enterprises
    enterprise_name: str | None = Field(None, max_length=200)
    credit_code: str | None = Field(None, max_length=18)
    legal_representative: str | None = Field(None, max_length=100)


class RegisteredOut(Schema):
    id: int
    username: str
    kind: str


class RegionRef(Schema):
    code: str
    name: str


class DepartmentRef(Schema):
    code: str
    name: str


class UserOut(Schema):
    id: int
    username: str
    kind: str
    real_name: str
    phone_masked: str = Field("", description="Mobile phone, masked.")
    email: str
    region: RegionRef | None
    department: DepartmentRef | None
    post: str
    is_active: bool
    is_locked: bool
    is_demo: bool
    date_joined: datetime
    last_login: datetime | None


class RoleGrantOut(Schema):
    role: str
    role_name: str
    scope_kind: str
    region: RegionRef | None
    department: DepartmentRef | None


class EnterpriseOut(Schema):
    name: str
    credit_code: str
    legal_representative: str


class AgentForOut(Schema):
    enterprise: EnterpriseOut
    valid_until: date | None


class MeOut(UserOut):
    roles: list[RoleGrantOut]
    second_factor: bool
    identity_verified: bool | None = Field(
        None, description="Citizens and enterprises: whether the identity was verified (实名核验); else null.")
    id_number_masked: str | None = None
    enterprise: EnterpriseOut | None = None
    agent_for: list[AgentForOut] = []


class PersonalDataOut(Schema):
    user_id: int
    real_name: str
    id_number: str | None
    phone: str


class VerifyIdentityIn(Schema):
    method: Literal["counter"] = Field(..., description="counter: documents checked in person at a service hall.")
    note: str = Field("", max_length=200)


class UnverifyIdentityIn(Schema):
    note: str = Field(..., min_length=1, max_length=200, description="Why the verification is withdrawn.")


class IdentityVerificationOut(Schema):
    user_id: int
    verified: bool
    verified_at: datetime | None
    verified_by: str | None = Field(None, description="username of the identity officer")
    method: str = Field("", description="counter, demo, or empty when not verified")


class UserFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["username__icontains", "real_name__icontains"])] = Field(
        None, max_length=100, description="Username or name contains.")
    kind: Literal["citizen", "enterprise", "official", "application"] | None = None
    region: str | None = Field(None, max_length=12, description="Region code: users in it and below.")
    department: str | None = Field(None, max_length=20, description="Department code: users in it and its subunits.")
    is_active: bool | None = None

    def filter_region(self, value):
        return Q(region__path__startswith=region_get(value).path) if value else Q()

    def filter_department(self, value):
        return Q(department__path__startswith=department_get(value).path) if value else Q()

    @field_validator("q")
    @classmethod
    def strip(cls, value):
        return value.strip() if value else value


class ApplicationIn(Schema):
    code: str = Field(..., min_length=2, max_length=50, pattern=r"^[a-z0-9][a-z0-9-]+$")
    name: str = Field(..., min_length=1, max_length=100)
    department: str = Field(..., min_length=1, max_length=20, description="owning department's code")
    description: str = Field("", max_length=2000)


class ApplicationPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=2000)


class ApplicationOut(Schema):
    code: str
    name: str
    department: str = Field(..., alias="department.code")
    description: str
    username: str = Field(..., alias="account.username")
    active: bool = Field(..., alias="account.is_active")


class ApplicationTokenIn(Schema):
    name: str = Field("", max_length=100)
    days: int | None = Field(None, ge=1, le=3650, description="lifetime in days (default: no expiry)")


class ApplicationTokenOut(Schema):
    token: str
    expires_at: datetime | None
