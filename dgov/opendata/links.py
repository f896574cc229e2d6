"""Where the open-data portal serves things (absolute URLs under `settings.DGOV_PUBLIC_URL`), for the CKAN API,
DCAT-AP and the pages alike."""

from django.conf import settings

DOWNLOAD_FORMATS = ("csv", "xlsx", "json")


def absolute(path: str) -> str:
    return settings.DGOV_PUBLIC_URL + path


def dataset_page(name: str) -> str:
    """The dataset's page on the portal (its landing page)."""
    return absolute(f"/open/datasets/{name}/")


def download(name: str, fmt: str) -> str:
    return absolute(f"/open/datasets/{name}/download.{fmt}")


def organisation_page(code: str) -> str:
    return absolute(f"/open/organisations/{code}/")


def topic_page(code: str) -> str:
    return absolute(f"/open/topics/{code}/")


def ckan_action(action: str) -> str:
    return absolute(f"/api/3/action/{action}")
