"""The sandbox servers speak the vendors' dialects: paths, auth, pagination, cursors."""

from __future__ import annotations

import base64

import pytest
import requests

from sandbox.servers import SANDBOX_TOKENS, Faults, serve_sandbox

HUBSPOT = {"Authorization": f"Bearer {SANDBOX_TOKENS['hubspot_token']}"}
JIRA = {"Authorization": "Basic " + base64.b64encode(
    f"{SANDBOX_TOKENS['jira_email']}:{SANDBOX_TOKENS['jira_token']}".encode()).decode()}
ZENDESK = {"Authorization": "Basic " + base64.b64encode(
    f"{SANDBOX_TOKENS['zendesk_email']}/token:{SANDBOX_TOKENS['zendesk_token']}".encode()).decode()}


@pytest.fixture(scope="module")
def urls(small_company):
    with serve_sandbox(small_company / "sandbox") as running:
        yield running.urls


def test_every_source_requires_its_own_auth_scheme(urls):
    assert requests.get(urls["hubspot"] + "/crm/v3/owners").status_code == 401
    assert requests.get(urls["hubspot"] + "/crm/v3/owners", headers=JIRA).status_code == 401
    assert requests.get(urls["jira"] + "/rest/api/3/users/search", headers=JIRA).status_code == 200
    assert requests.get(urls["zendesk"] + "/api/v2/incremental/users/cursor.json?start_time=0",
                        headers=JIRA).status_code == 401


def test_hubspot_list_pages_with_after_and_returns_only_named_properties(urls):
    url = urls["hubspot"] + "/crm/v3/objects/deals"
    first = requests.get(url, params={"limit": 5, "properties": "amount,dealstage"}, headers=HUBSPOT).json()
    assert len(first["results"]) == 5
    deal = first["results"][0]
    assert set(deal) >= {"id", "properties", "createdAt", "updatedAt", "archived"}
    assert set(deal["properties"]) == {"amount", "dealstage", "hs_object_id", "createdate", "hs_lastmodifieddate"}
    after = first["paging"]["next"]["after"]
    second = requests.get(url, params={"limit": 5, "after": after}, headers=HUBSPOT).json()
    assert {d["id"] for d in second["results"]}.isdisjoint(d["id"] for d in first["results"])


def test_hubspot_search_filters_on_last_modified_never_shows_archived_and_stops_at_10k(urls):
    url = urls["hubspot"] + "/crm/v3/objects/deals/search"
    body = {"filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE",
                                           "value": "1790000000000"}]}], "limit": 200}
    page = requests.post(url, json=body, headers=HUBSPOT).json()
    assert page["results"] and not any(r["archived"] for r in page["results"])
    assert all(r["updatedAt"] >= "2026-09-21" for r in page["results"])
    too_far = requests.post(url, json=body | {"after": "10000"}, headers=HUBSPOT)
    assert too_far.status_code == 400
    archived = requests.get(urls["hubspot"] + "/crm/v3/objects/deals", params={"archived": "true", "limit": 100},
                            headers=HUBSPOT).json()
    assert archived["results"] and all(r["archived"] for r in archived["results"])


def test_jira_search_jql_uses_next_page_token_and_the_old_search_is_gone(urls):
    assert requests.get(urls["jira"] + "/rest/api/3/search", headers=JIRA).status_code == 410
    url = urls["jira"] + "/rest/api/3/search/jql"
    jql = 'updated >= "2026-11-20 00:00" ORDER BY updated ASC'
    page = requests.get(url, params={"jql": jql, "maxResults": 100, "expand": "changelog"}, headers=JIRA).json()
    assert "total" not in page and page["isLast"] is False and page["nextPageToken"]
    issue = page["issues"][0]
    assert issue["fields"]["updated"][-5:] == "+0800" and issue["fields"]["updated"] >= "2026-11-20T00:00"
    assert "histories" in issue["changelog"] and "customfield_10016" in issue["fields"]
    token, pages = page["nextPageToken"], 1
    while token:
        page = requests.get(url, params={"jql": jql, "maxResults": 100, "nextPageToken": token}, headers=JIRA).json()
        token, pages = page.get("nextPageToken"), pages + 1
    assert page["isLast"] is True and "nextPageToken" not in page


def test_zendesk_export_ends_with_end_of_stream_while_after_cursor_stays_set(urls):
    url = urls["zendesk"] + "/api/v2/incremental/tickets/cursor.json"
    page = requests.get(url, params={"start_time": 1795000000, "include": "metric_sets"}, headers=ZENDESK).json()
    seen = 0
    for _ in range(100):
        seen += len(page["tickets"])
        assert {m["ticket_id"] for m in page["metric_sets"]} <= {t["id"] for t in page["tickets"]}
        if page["end_of_stream"]:
            break
        page = requests.get(url, params={"cursor": page["after_cursor"]}, headers=ZENDESK).json()
    assert page["end_of_stream"] is True and page["after_cursor"]
    assert seen > 0
    again = requests.get(url, params={"cursor": page["after_cursor"]}, headers=ZENDESK).json()
    assert again["tickets"] == [] and again["end_of_stream"] is True


def test_fault_switches_parse_and_fire(small_company):
    assert Faults.parse("all").rate_limit and not Faults.parse("all").bad_record
    with pytest.raises(ValueError, match="unknown fault switch"):
        Faults.parse("earthquake")
    with serve_sandbox(small_company / "sandbox", Faults(rate_limit=True, retry_after_seconds=3)) as running:
        url = running.urls["hubspot"] + "/crm/v3/owners"
        assert requests.get(url, headers=HUBSPOT).status_code == 200
        limited = requests.get(url, headers=HUBSPOT)
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
        assert running.calls("hubspot") == 2


def test_the_servers_run_in_a_process_of_their_own_until_their_input_closes(small_company):
    """What the benchmark uses, so that the pipeline's peak memory does not include every simulated record."""
    from cli.bench import _peak_rss_mb, sandbox_process

    with sandbox_process(small_company / "sandbox") as (process, own_urls):
        owners = requests.get(own_urls["hubspot"] + "/crm/v3/owners", headers=HUBSPOT)
        assert owners.status_code == 200 and owners.json()["results"]
        assert requests.get(own_urls["jira"] + "/rest/api/3/users/search", headers=JIRA).status_code == 200
        assert _peak_rss_mb(process.pid) > 10
    assert process.returncode == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(own_urls["hubspot"] + "/crm/v3/owners", headers=HUBSPOT, timeout=2)


def test_with_rate_limit_on_each_api_enforces_a_window_and_says_so_in_its_vendors_headers(small_company):
    faults = Faults(rate_limit=True, calls_per_window=5, window_seconds=30)
    with serve_sandbox(small_company / "sandbox", faults) as running:
        answers = [requests.get(running.urls["zendesk"] + "/api/v2/incremental/users/cursor.json?start_time=0",
                                headers=ZENDESK) for _ in range(7)]
        assert [a.status_code for a in answers] == [200, 429, 200, 200, 200, 429, 429]  # 2nd: the one-off 429
        assert answers[4].headers["ratelimit-remaining"] == "0" and int(answers[4].headers["ratelimit-reset"]) > 1
        assert answers[5].headers["Retry-After"] and running.counters["zendesk"]["_over_quota"] == 2
        hubspot = requests.get(running.urls["hubspot"] + "/crm/v3/owners", headers=HUBSPOT)
        assert hubspot.headers["X-HubSpot-RateLimit-Remaining"] == "4"  # each API has its own window
        jira = requests.get(running.urls["jira"] + "/rest/api/3/users/search", headers=JIRA)
        assert jira.headers["X-RateLimit-Remaining"] == "4" and jira.headers["X-RateLimit-Reset"].endswith("Z")


def test_a_connector_paces_itself_to_the_window_instead_of_collecting_429s(small_company):
    from connectors.http import ApiClient, HttpPolicy
    from connectors.hubspot import HubSpotConnector

    faults = Faults(rate_limit=True, calls_per_window=10, window_seconds=0.5, retry_after_seconds=0)
    with serve_sandbox(small_company / "sandbox", faults) as running:
        api = ApiClient("hubspot", running.urls["hubspot"], HUBSPOT["Authorization"], HttpPolicy(backoff_seconds=0))
        api.start_object("deals")
        pages = list(HubSpotConnector(api).read_deals(None))
        over = running.counters["hubspot"]["_over_quota"]
    assert len(pages) > 30 and sum(len(p.records["deals"]) for p in pages) > 3_000
    assert over == 0 and api.paced_seconds > 0.5  # it waited for the window, and no call was turned away


def test_jira_project_versions_page_by_id_and_drift_changes_only_the_answer(small_company):
    with serve_sandbox(small_company / "sandbox", Faults(schema_drift=True)) as running:
        url = running.urls["jira"]
        project = requests.get(url + "/rest/api/3/project/search", headers=JIRA).json()["values"][0]
        pages = [requests.get(f"{url}/rest/api/3/project/{project['key']}/version",
                              params={"startAt": start, "maxResults": 5}, headers=JIRA).json() for start in (0, 5, 0)]
    ids = [v["id"] for v in pages[0]["values"] + pages[1]["values"]]
    assert len(ids) == 10 and ids == sorted(ids) and pages[0]["total"] > 10
    assert all(str(v["projectId"]) == project["id"] for v in pages[0]["values"])
    assert pages[2] == pages[0]  # asked again: the same page, the drift applied once, not twice
    assert all("overdue" not in v and v["x_northstar_added_field"] for v in pages[2]["values"])
