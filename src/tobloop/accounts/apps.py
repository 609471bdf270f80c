from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tobloop.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from tobloop.accounts.logic.derivation import rederive_on_threshold_change
        from tobloop.platform.facade import on_thresholds_changed

        on_thresholds_changed(rederive_on_threshold_change)
