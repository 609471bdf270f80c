from django.urls import path

from tobloop.analytics import usage_views, views

app_name = "analytics"
urlpatterns = [
    path("w/<slug:slug>/analytics/", views.live_events, name="list"),
    path("w/<slug:slug>/analytics/catalog/", views.event_catalog, name="catalog"),
    path("w/<slug:slug>/analytics/funnel/", views.funnel_page, name="funnel"),
    path("w/<slug:slug>/analytics/funnel/dropped/", views.funnel_dropped, name="funnel-dropped"),
    path("w/<slug:slug>/analytics/retention/", views.retention_page, name="retention"),
    path("w/<slug:slug>/analytics/paths/", views.paths_page, name="paths"),
    path("w/<slug:slug>/analytics/trends/", views.trends_page, name="trends"),
    path("w/<slug:slug>/analytics/active/", views.active_page, name="active"),
    path("w/<slug:slug>/analytics/account/", views.account_by_external_id, name="account"),
]
urlpatterns += [
    path("w/<slug:slug>/analytics/insights/save/", views.insight_save, name="insight-save"),
    path("w/<slug:slug>/analytics/insights/<int:pk>/", views.insight_open, name="insight"),
    path("w/<slug:slug>/analytics/dashboards/", views.dashboards, name="dashboards"),
    path("w/<slug:slug>/analytics/dashboards/<int:pk>/", views.dashboard_detail, name="dashboard"),
]
urlpatterns += [
    path("w/<slug:slug>/analytics/aarrr/", views.aarrr_page, name="aarrr"),
    path("w/<slug:slug>/analytics/aarrr/settings/", views.aarrr_settings, name="aarrr-settings"),
]
urlpatterns += [
    path(
        "w/<slug:slug>/accounts/<int:pk>/panels/usage/",
        usage_views.account_usage_panel,
        name="account-usage",
    ),
]
