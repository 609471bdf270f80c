"""The Overview page (the playbook check at a glance) has its own URL namespace."""

from django.urls import path

from tobloop.revenue import views

app_name = "overview"
urlpatterns = [path("w/<slug:slug>/overview/", views.overview_page, name="list")]
