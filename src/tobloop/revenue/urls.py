from django.urls import path

from tobloop.revenue import views

app_name = "revenue"
urlpatterns = [
    path("w/<slug:slug>/revenue/", views.revenue_page, name="list"),
    path("w/<slug:slug>/revenue/movements/", views.movements_page, name="movements"),
    path("w/<slug:slug>/revenue/accounts/", views.accounts_page, name="accounts"),
]
