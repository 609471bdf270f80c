from django.urls import path

from tobloop.platform import views

app_name = "settings"
urlpatterns = [
    path("w/<slug:slug>/settings/", views.settings_page, name="list"),
    path("w/<slug:slug>/settings/keys/", views.keys_page, name="keys"),
    path("w/<slug:slug>/settings/audit/", views.audit_page, name="audit"),
]
