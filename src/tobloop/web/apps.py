from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from tobloop.analytics.hooks import RevenueFacts
    from tobloop.platform.contracts import Principal


class WebConfig(AppConfig):
    name = "tobloop.web"
    label = "web"
    verbose_name = "Web"

    def ready(self) -> None:
        # Every process start (each CLI command) runs this: the registration is light
        # (analytics.hooks, not the facade) and the revenue module loads on first use.
        from tobloop.analytics.hooks import register_revenue_source, register_seat_source

        register_revenue_source(_revenue_stage)
        register_seat_source(_account_seats)


def _revenue_stage(principal: Principal, start: date, end: date) -> RevenueFacts | None:
    from tobloop.web.aarrr_revenue import revenue_stage

    return revenue_stage(principal, start, end)


def _account_seats(principal: Principal, account_id: int, day: date) -> int | None:
    from tobloop.web.usage_seats import account_seats

    return account_seats(principal, account_id, day)
