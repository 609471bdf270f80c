from django.urls import path

from tobloop.success import views

app_name = "success"
urlpatterns = [
    path("w/<slug:slug>/success/health/", views.health_list, name="list"),
    path("w/<slug:slug>/success/churn-risk/", views.churn_page, name="churn-risk"),
    path("w/<slug:slug>/success/churn-risk/train/", views.churn_train, name="churn-train"),
    path("w/<slug:slug>/success/churn-risk/pooling/", views.churn_pooling, name="churn-pooling"),
    path(
        "w/<slug:slug>/accounts/<int:pk>/panels/churn-risk/",
        views.account_churn_panel,
        name="account-churn",
    ),
    path("w/<slug:slug>/settings/health/", views.profiles_page, name="health-profiles"),
    path(
        "w/<slug:slug>/settings/health/<int:pk>/active/",
        views.profile_toggle,
        name="health-profile-toggle",
    ),
    path(
        "w/<slug:slug>/settings/health/<int:pk>/delete/",
        views.profile_delete,
        name="health-profile-delete",
    ),
    path(
        "w/<slug:slug>/settings/health/<int:pk>/backtest/",
        views.profile_backtest,
        name="health-profile-backtest",
    ),
    path(
        "w/<slug:slug>/accounts/<int:pk>/panels/health/",
        views.account_panel,
        name="account-health",
    ),
    path(
        "w/<slug:slug>/accounts/<int:pk>/panels/health/score/",
        views.account_score,
        name="account-health-score",
    ),
    path(
        "w/<slug:slug>/accounts/<int:pk>/panels/health/override/",
        views.account_override,
        name="account-health-override",
    ),
    path(
        "w/<slug:slug>/accounts/<int:pk>/panels/health/override/clear/",
        views.account_override_clear,
        name="account-health-override-clear",
    ),
]
