"""The CKAN-compatible Action API (`ckan.py`) and the downloads (`downloads.py`)."""

urlpatterns = []
