from dgov.aggregation.views import NAMESPACE, DatasetViews, LoadRunViews, MappingViews, SourceViews

app_name = NAMESPACE

urlpatterns = [
    *SourceViews.urls("data/aggregation/sources", app_name),
    *DatasetViews.urls("data/aggregation/datasets", app_name),
    *MappingViews.urls("data/aggregation/jobs", app_name),
    *LoadRunViews.urls("data/aggregation/runs", app_name),
]
