"""Settings come from environment variables: DATABASE_URL, data directory, hosts, debug."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from tobloop.config.settings import DATA_DIR, database_from_url


@pytest.mark.parametrize("url", [None, ""])
def test_no_database_url_means_sqlite_in_the_data_dir(url):
    db = database_from_url(url)
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(DATA_DIR / "tobloop.sqlite3")
    # several processes share the file: WAL and a busy timeout
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]


def test_postgres_url_is_split_and_unquoted():
    db = database_from_url("postgres://tob%40ops:p%40ss%2Fw0rd@db.example.com:6543/tob%20loop")
    assert db == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "tob loop",
        "USER": "tob@ops",
        "PASSWORD": "p@ss/w0rd",
        "HOST": "db.example.com",
        "PORT": "6543",
        "CONN_MAX_AGE": 60,
    }


@pytest.mark.parametrize(
    ("url", "name", "user", "host", "port"),
    [
        ("postgresql://db/app", "app", "", "db", "5432"),
        ("postgres://u@127.0.0.1", "postgres", "u", "127.0.0.1", "5432"),
        ("postgres:///app", "app", "", "127.0.0.1", "5432"),
    ],
)
def test_postgres_url_defaults(url, name, user, host, port):
    db = database_from_url(url)
    assert (db["NAME"], db["USER"], db["HOST"], db["PORT"]) == (name, user, host, port)
    assert db["PASSWORD"] == ""


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("sqlite:////var/lib/tobloop/app.sqlite3", "/var/lib/tobloop/app.sqlite3"),
        ("sqlite:///data/app.sqlite3", "data/app.sqlite3"),
    ],
)
def test_sqlite_url_names_a_file(url, name):
    assert database_from_url(url) == {"ENGINE": "django.db.backends.sqlite3", "NAME": name}


@pytest.mark.parametrize("url", ["mysql://u@h/db", "oracle://x", "db.sqlite3"])
def test_unsupported_database_urls_fail_clearly(url):
    with pytest.raises(ImproperlyConfigured, match="unsupported scheme"):
        database_from_url(url)


def _python(code: str, env: dict[str, str], *, check: bool = True) -> Any:
    """``code`` run by a fresh interpreter whose environment has no tobloop setting but ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TOBLOOP_", "DATABASE"))}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=check,
        timeout=60,
    )


def _settings_in_a_fresh_process(env: dict[str, str], names: list[str]) -> dict[str, object]:
    code = (
        "import json, tobloop.config.settings as s;"
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}, default=str))"
    )
    return json.loads(_python(code, env).stdout)


def test_environment_variables_are_read(tmp_path: Path):
    got = _settings_in_a_fresh_process(
        {
            "TOBLOOP_DATA_DIR": str(tmp_path / "data"),
            "TOBLOOP_DEBUG": "yes",
            "TOBLOOP_ALLOWED_HOSTS": " crm.example.com ,, 10.0.0.5 ",
            "TOBLOOP_SECRET_KEY": "s3cret",
            "TOBLOOP_IMPORT_MAX_BYTES": "1024",
            "DATABASE_URL": "postgres://u:p@h:5433/d",
        },
        ["DEBUG", "ALLOWED_HOSTS", "SECRET_KEY", "TOBLOOP_IMPORT_MAX_BYTES", "DATABASES"],
    )
    assert got["DEBUG"] is True
    assert got["ALLOWED_HOSTS"] == ["crm.example.com", "10.0.0.5"]
    assert got["SECRET_KEY"] == "s3cret"
    assert got["TOBLOOP_IMPORT_MAX_BYTES"] == 1024
    assert got["DATABASES"]["default"]["PORT"] == "5433"


def test_behind_a_tls_proxy_cookies_are_secure(tmp_path: Path):
    names = ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_PROXY_SSL_HEADER"]
    data = {"TOBLOOP_DATA_DIR": str(tmp_path / "data")}
    got = _settings_in_a_fresh_process({**data, "TOBLOOP_HTTPS": "1"}, names)
    assert got == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'tobloop.config.settings';"
        "from django.conf import settings;"
        "print(settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE,"
        " settings.SECURE_PROXY_SSL_HEADER)"
    )
    plain = _python(code, data)
    assert plain.stdout.split() == ["False", "False", "None"]  # plain HTTP keeps working


def test_event_store_memory_is_a_quarter_of_the_machine_unless_set(tmp_path: Path):
    data = {"TOBLOOP_DATA_DIR": str(tmp_path / "data")}
    name = "TOBLOOP_EVENTS_MEMORY_LIMIT"
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    default = _settings_in_a_fresh_process(data, [name])[name]
    assert default == f"{max(1024, physical // 4 >> 20)}MB"
    assert _settings_in_a_fresh_process({**data, name: "512MB"}, [name])[name] == "512MB"


def test_number_settings_must_be_numbers(tmp_path: Path):
    env = {"TOBLOOP_DATA_DIR": str(tmp_path / "d"), "TOBLOOP_EMAIL_HOST": "smtp"}
    r = _python("import tobloop.config.settings", {**env, "TOBLOOP_EMAIL_PORT": "submission"},
                check=False)  # fmt: skip
    assert r.returncode != 0
    assert "TOBLOOP_EMAIL_PORT must be a number, not 'submission'" in r.stderr


def test_defaults_are_safe(tmp_path: Path):
    data = tmp_path / "data"
    got = _settings_in_a_fresh_process(
        {"TOBLOOP_DATA_DIR": str(data)}, ["DEBUG", "ALLOWED_HOSTS", "SECRET_KEY"]
    )
    assert got["DEBUG"] is False
    assert got["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "[::1]"]
    # a secret key generated once per data directory, readable by its owner only
    key_file = data / "secret_key"
    assert key_file.read_text().strip() == got["SECRET_KEY"]
    assert len(got["SECRET_KEY"]) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600
    again = _settings_in_a_fresh_process({"TOBLOOP_DATA_DIR": str(data)}, ["SECRET_KEY"])
    assert again["SECRET_KEY"] == got["SECRET_KEY"]


@pytest.mark.parametrize("value", ["0", "false", "no", "off", ""])
def test_debug_flag_off_values(value, tmp_path: Path):
    got = _settings_in_a_fresh_process(
        {"TOBLOOP_DATA_DIR": str(tmp_path), "TOBLOOP_DEBUG": value}, ["DEBUG"]
    )
    assert got["DEBUG"] is False
