from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "tobloop.web"
    label = "web"
    verbose_name = "Web"

    def ready(self) -> None:
        from tobloop.analytics.facade import register_revenue_source
        from tobloop.web.aarrr_revenue import revenue_stage

        register_revenue_source(revenue_stage)

        from tobloop.analytics.facade import register_seat_source
        from tobloop.web.usage_seats import account_seats

        register_seat_source(account_seats)
