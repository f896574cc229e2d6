"""API schemas of the responsibility list. The department and the catalog entries are referred to
by their codes."""

from datetime import datetime
from typing import Annotated

from django.db.models import Q
from ninja import Field, FilterLookup, FilterSchema, Schema

from dgov.catalog.models import UpdateCycle
from dgov.duties.models import DataDuty, DutyStatus
from dgov.duties.selectors import UNLINKED

MAX_LINKS = 100
DepartmentCode = Annotated[str, Field(min_length=1, max_length=20)]
ResourceCode = Annotated[str, Field(min_length=1, max_length=20)]


class DutyOut(Schema):
    id: int
    department_code: str = Field(..., alias="department.code")
    department_name: str = Field(..., alias="department.name")
    duty: str
    data_name: str
    description: str
    legal_basis: str
    update_cycle: UpdateCycle
    responsible_unit: str
    contact: str
    status: DutyStatus
    entry_codes: list[str] = Field(..., description="Resource codes of the linked catalog entries.")
    flagged: bool = Field(..., description="In force, and no catalog entry (other than withdrawn ones) holds "
                                           "its data.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_entry_codes(obj: DataDuty) -> list[str]:
        return obj.entry_codes()


class DutyIn(Schema):
    model_config = {"json_schema_extra": {"examples": [{
        "department_code": "360603909", "duty": "婚姻登记", "data_name": "结婚登记、离婚登记记录",
        "legal_basis": "《婚姻登记条例》第二条、第四条", "update_cycle": "daily",
        "entry_codes": ["101001001/000001"]}]}}

    department_code: DepartmentCode
    duty: str = Field(..., min_length=1, max_length=200)
    data_name: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    legal_basis: str = Field(..., min_length=1, max_length=1000)
    update_cycle: UpdateCycle
    responsible_unit: str = Field("", max_length=100)
    contact: str = Field("", max_length=100)
    status: DutyStatus = DutyStatus.ACTIVE
    entry_codes: list[ResourceCode] = Field([], max_length=MAX_LINKS,
                                            description="Resource codes of the department's catalog entries "
                                                        "that hold the data.")


class DutyPatch(Schema):
    department_code: DepartmentCode | None = None
    duty: str | None = Field(None, min_length=1, max_length=200)
    data_name: str | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    legal_basis: str | None = Field(None, min_length=1, max_length=1000)
    update_cycle: UpdateCycle | None = None
    responsible_unit: str | None = Field(None, max_length=100)
    contact: str | None = Field(None, max_length=100)
    status: DutyStatus | None = None
    entry_codes: list[ResourceCode] | None = Field(None, max_length=MAX_LINKS,
                                                   description="Replaces the links when given.")


class DutyFilter(FilterSchema):
    department: Annotated[DepartmentCode | None, FilterLookup("department__code")] = Field(
        None, description="Department code.")
    unlinked: bool | None = Field(None, description="true: only the flagged duties (in force, not in the catalog); "
                                                    "false: the others.")
    status: DutyStatus | None = None
    q: Annotated[str | None, FilterLookup(["duty__icontains", "data_name__icontains", "legal_basis__icontains"])] = \
        Field(None, max_length=100)

    def filter_unlinked(self, value: bool | None) -> Q:
        if value is None:
            return Q()
        return UNLINKED if value else ~UNLINKED
