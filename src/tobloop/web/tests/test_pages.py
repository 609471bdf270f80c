"""Server-side behaviour of the pages that the browser tests do not reach."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tobloop.accounts import facade


@pytest.fixture
def owner_client(make_workspace):
    owner = make_workspace("acme")
    return owner, signed_in("acme-owner")


def signed_in(username):
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_htmx_gets_the_table_and_a_history_restore_the_page(owner_client):
    owner, client = owner_client
    facade.create_account(owner, facade.AccountCreate(name="Acme", headcount=20))
    url = "/w/acme/accounts/?segment=small"
    partial = client.get(url, headers={"HX-Request": "true"})
    assert b'data-testid="accounts-table"' in partial.content
    assert b"<html" not in partial.content
    assert "HX-Request" in partial["Vary"]
    restore = client.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert b"<html" in restore.content and b"Acme" in restore.content


def test_bad_filters_are_named_not_fatal(owner_client):
    _, client = owner_client
    response = client.get("/w/acme/accounts/?sort=nonsense&page=x")
    assert response.status_code == 200
    assert b"Ignored invalid filter values: sort" in response.content


def test_import_without_a_file_says_so(owner_client):
    _, client = owner_client
    response = client.post("/w/acme/accounts/import/", {"kind": "accounts"})
    assert response.status_code == 200
    assert b"Choose a CSV file to upload." in response.content


def test_import_summary_counts_rejected_rows_not_problems(owner_client):
    _, client = owner_client
    raw = b"external_id,name,domain,headcount\nA1,Ok,ok.cn,5\nA2,Bad,bad domain,lots\n"
    upload = SimpleUploadedFile("crm.csv", raw, content_type="text/csv")
    response = client.post("/w/acme/accounts/import/", {"kind": "accounts", "file": upload})
    page = response.content.decode()
    assert "2 rows: 1 created, 0 updated, 1 rejected." in page
    assert page.count('<td class="num">3</td>') == 2  # both problems of row 3 are listed


def test_key_form_errors_are_shown_on_the_page(owner_client):
    _, client = owner_client
    bad_revoke = client.post("/w/acme/settings/keys/", {"revoke": "abc"})
    assert bad_revoke.status_code == 200
    assert b"That is not a key of this workspace." in bad_revoke.content
    bad_scope = client.post("/w/acme/settings/keys/", {"name": "x", "scopes": "everything"})
    assert b"unknown scope(s): everything" in bad_scope.content
    assert b'data-testid="new-key"' not in bad_scope.content
    bad_expiry = client.post("/w/acme/settings/keys/", {"scopes": "read", "expires_in_days": "0"})
    assert b"Expiry must be a whole number of days" in bad_expiry.content


def test_other_workspaces_and_admin_pages_are_closed(owner_client, make_workspace, add_member):
    _, client = owner_client
    other = make_workspace("other")
    theirs = facade.create_account(other, facade.AccountCreate(name="Theirs"))
    assert client.get(f"/w/acme/accounts/{theirs.id}/").status_code == 404
    assert client.get("/w/other/accounts/").status_code == 403
    add_member("acme", "vic", "viewer")
    viewer = signed_in("vic")
    assert viewer.get("/w/acme/settings/").status_code == 200
    assert viewer.get("/w/acme/settings/audit/").status_code == 403
    assert viewer.post("/w/acme/settings/", {"mid_min_headcount": "5"}).status_code == 403


def test_pages_render_in_chinese(owner_client):
    owner, client = owner_client
    facade.create_account(owner, facade.AccountCreate(name="Acme", headcount=12000))
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    for url in [
        "/w/acme/accounts/",
        "/w/acme/settings/",
        "/w/acme/settings/keys/",
        "/w/acme/settings/audit/",
        "/w/acme/accounts/import/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert '<html lang="zh-hans">' in response.content.decode()
    listing = client.get("/w/acme/accounts/").content.decode()
    assert "大型企业" in listing and "12,000" in listing and "专属服务团队" in listing


def test_navigation_shows_built_modules_only(owner_client):
    from tobloop.web.context import MODULES

    _, client = owner_client
    page = client.get("/w/acme/accounts/").content.decode()
    for key, _label, built in MODULES:
        assert (f'data-nav="{key}"' in page) is built, key


def test_a_wrong_method_on_the_api_answers_the_error_shape(owner_client):
    _, client = owner_client
    response = client.put("/api/v1/accounts", headers={"X-Workspace": "acme"})
    assert response.status_code == 405
    error = response.json()["error"]
    assert error["code"] == "method_not_allowed"
    assert "PUT is not allowed on /api/v1/accounts" in error["message"]
    assert "GET" in response["Allow"]


def test_reloading_the_new_key_page_makes_no_second_key(owner_client):
    from tobloop.platform.models import ApiKey

    _, client = owner_client
    page = client.get("/w/acme/settings/keys/").content.decode()
    nonce = page.split('name="form_nonce" value="')[1].split('"')[0]
    form = {"name": "BI", "scopes": "read", "form_nonce": nonce}
    first = client.post("/w/acme/settings/keys/", form)
    assert b'data-testid="new-key"' in first.content
    again = client.post("/w/acme/settings/keys/", form)  # the browser re-posts on reload
    assert again.status_code == 302
    assert ApiKey.objects.filter(name="BI").count() == 1
    assert b"no new key was made" in client.get(again["Location"]).content
