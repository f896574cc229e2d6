from dgov.core.views import CrudViews
from dgov.orgs import services
from dgov.orgs.filtersets import DepartmentFilterSet, RegionFilterSet
from dgov.orgs.forms import DepartmentForm, DepartmentImporter, ManagementAreaForm
from dgov.orgs.models import Department, ManagementArea, Region
from dgov.orgs.tables import DepartmentTable, ManagementAreaTable, RegionTable


class RegionViews(CrudViews):
    """Regions are national reference data: browsed here, loaded by `dgov init`."""

    model = Region
    table = RegionTable
    filterset = RegionFilterSet
    lookup = "code"
    queryset = staticmethod(lambda: Region.objects.select_related("parent"))
    detail_template = "orgs/region_detail.html"


class DepartmentViews(CrudViews):
    model = Department
    table = DepartmentTable
    filterset = DepartmentFilterSet
    form = DepartmentForm
    importer = DepartmentImporter
    lookup = "code"
    queryset = staticmethod(lambda: Department.objects.select_related("region", "parent"))

    @staticmethod
    def save(*, actor, instance):
        return services.department_save(actor=actor, department=instance)


class ManagementAreaViews(CrudViews):
    model = ManagementArea
    table = ManagementAreaTable
    form = ManagementAreaForm
    lookup = "code"
    queryset = staticmethod(lambda: ManagementArea.objects.select_related("region").prefetch_related("townships"))
