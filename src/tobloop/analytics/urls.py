from django.urls import path

from tobloop.analytics import views

app_name = "analytics"
urlpatterns = [
    path("w/<slug:slug>/analytics/", views.live_events, name="list"),
    path("w/<slug:slug>/analytics/catalog/", views.event_catalog, name="catalog"),
]
