"""Ids mixed across cases: a path through a case in scope never opens another case's things.

The matrix calls each route with ids that belong together. Here a handler who
may see their own case names, through it, a tenant, a payment commitment or a
joint-assessment part that is not that case's: each is 404, as if it did not
exist, and the other case's identity number is nowhere in the answer.
"""

from __future__ import annotations

from tests.security.matrix.world import BY_NAME

HANDLER = BY_NAME["handler"]


def test_a_case_in_scope_does_not_open_another_cases_tenant_letter_or_part(world):
    own, foreign = world.case, world.foreign_case()
    foreign_letter = world.commitment(foreign, by="handler-farsta")["commitment_id"]
    own_letter = world.commitment(own)["commitment_id"]
    api = world.api_headers(HANDLER)
    browser = world.browser(HANDLER)

    def page(method: str, url: str, **form: str):
        return browser.client.request(method, url, headers=browser.headers, follow_redirects=False,
                                      data={**form, "csrf_token": browser.csrf} if method == "POST" else None)

    refused = {
        "API: another case's tenant": world.client.post(
            f"/api/v1/cases/{own.id}/tenants/{foreign.tenant_id}/identity-number", headers=api),
        "page: another case's tenant": page("POST", f"/arenden/{own.id}/personnummer/{foreign.tenant_id}"),
        "page: another case's letter": page("GET", f"/arenden/{own.id}/atagande/{foreign_letter}.pdf"),
        # The household has children but nobody aged 65 or more: elderly care is not asked to join.
        "page: a unit the case does not ask": page("POST", f"/arenden/{own.id}/gemensam-bedomning/elderly_care",
                                                   step="accept"),
    }
    for what, answer in refused.items():
        assert answer.status_code == 404, (what, answer.status_code, answer.text[:300])
        assert foreign.pin not in answer.text, what

    # The same handler, the same routes, ids that belong together: allowed, so the 404s above were the ids'.
    assert world.client.post(f"/api/v1/cases/{own.id}/tenants/{own.tenant_id}/identity-number",
                             headers=api).json() == {"personal_identity_number": own.pin}
    assert page("GET", f"/arenden/{own.id}/atagande/{own_letter}.pdf").headers["content-type"] == "application/pdf"
    assert page("POST", f"/arenden/{own.id}/gemensam-bedomning/children_families", step="accept").status_code == 303
