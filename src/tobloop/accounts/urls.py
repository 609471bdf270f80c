from django.urls import path

from tobloop.accounts import views

app_name = "accounts"
urlpatterns = [
    path("w/<slug:slug>/accounts/", views.account_list, name="list"),
    path("w/<slug:slug>/accounts/import/", views.account_import, name="import"),
    path("w/<slug:slug>/accounts/<int:pk>/", views.account_detail, name="detail"),
]
