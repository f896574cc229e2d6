"""DCAT-AP 3 metadata of the open datasets (`dcat.py`)."""

urlpatterns = []
