"""The node protocol at /federation/v1/ (signed calls of paired nodes) and the pages under 数据平台."""

from django.urls import path, re_path

from dgov.federation import server, views

app_name = views.NAMESPACE

FEED = r"(?P<feed>catalog|[1-3][0-9]{8}/[0-9]{6})"

urlpatterns = [
    path("federation/v1/node", server.identity_view, name="node"),
    path("federation/v1/feeds", server.feeds_view, name="feeds"),
    re_path(rf"^federation/v1/feeds/{FEED}/changes$", server.changes_view, name="changes"),
    path("federation/v1/inbox", server.inbox_view, name="inbox"),
    re_path(rf"^federation/v1/inbox/{FEED}$", server.receive_view, name="receive"),
    re_path(r"^federation/v1/(?P<rest>.*)$", server.unknown_view, name="unknown"),
    path("data/federation/", views.StatusView.as_view(), name="status"),
    *views.StatusViews.urls("data/federation/subscriptions", app_name),
    *views.PeerViews.urls("data/federation/peers", app_name),
    *views.SyncRunViews.urls("data/federation/runs", app_name),
    *views.RemoteEntryViews.urls("data/federation/remote-entries", app_name),
]
