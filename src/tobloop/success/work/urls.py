from django.urls import path

from tobloop.success.work import views

app_name = "success_work"
urlpatterns = [
    path("w/<slug:slug>/success/worklist/", views.worklist, name="list"),
    path("w/<slug:slug>/success/worklist/", views.worklist, name="worklist"),
    path(
        "w/<slug:slug>/success/tasks/<int:pk>/complete/",
        views.task_complete,
        name="task-complete",
    ),
    path("w/<slug:slug>/success/playbooks/", views.playbooks_page, name="playbooks"),
    path("w/<slug:slug>/success/playbooks/run/", views.playbooks_run, name="playbooks-run"),
    path("w/<slug:slug>/success/renewals/", views.renewals_page, name="renewals"),
    path("w/<slug:slug>/success/nps/", views.nps_page, name="nps"),
    path("w/<slug:slug>/settings/webhooks/", views.webhooks_page, name="webhooks"),
    path(
        "w/<slug:slug>/settings/webhooks/<int:pk>/delete/",
        views.webhook_delete,
        name="webhook-delete",
    ),
    path(
        "w/<slug:slug>/accounts/<int:pk>/panels/timeline/",
        views.account_timeline,
        name="account-timeline",
    ),
    path("w/<slug:slug>/accounts/<int:pk>/panels/nps/", views.account_nps, name="account-nps"),
]
