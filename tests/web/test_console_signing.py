"""The console signs what it says with a key the browser holds (WebCrypto Ed25519), in a real Chromium
against a real server: it makes or imports a key, registers it, and its acknowledgment is accepted in
an agreement that requires signatures only once signed; the signature checks in Python with nothing but
the public key (rfc8785 and cryptography: not the console's own code); the server refuses it over an
altered body; and a browser without Ed25519 says it cannot sign."""

from __future__ import annotations

import json

import pytest
import rfc8785
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from deconfliction.transparency.keys import SigningKey, unb64
from factories import example_agreement

from .conftest import expect, sign_in

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

CONTEXT = b"deconfliction party statement v1\n"

# A browser whose WebCrypto has no Ed25519 (as older ones): generateKey and importKey refuse it.
NO_ED25519 = """
for (const name of ["generateKey", "importKey"]) {
  const original = crypto.subtle[name].bind(crypto.subtle);
  crypto.subtle[name] = (...args) => JSON.stringify(args).includes("Ed25519")
    ? Promise.reject(new DOMException("Algorithm: Unrecognized name", "NotSupportedError")) : original(...args);
}
"""


@pytest.fixture
def scene(system, vol):
    """blue's and red's conflicting notices in 'pact', which then comes to require signatures."""
    blue = system.file_notice("blue", "pact", [vol()])
    red = system.file_notice("red", "pact", [vol(lon=2.352, start_h=1.5)], key=[blue.notice.version])
    system.add_agreement(example_agreement(signatures_required=True))
    return {"conflict": red.conflicts[0], "token": system.issue_token("blue")[1]}


def blue_acknowledged(system, conflict_id) -> bool:
    conflict = next(c for c in system.conflicts("blue", agreement_id="pact") if c.id == conflict_id)
    return (conflict.acknowledged_a if conflict.party_a == "blue" else conflict.acknowledged_b) is not None


def statements(system) -> list:
    return [e for e in system.audit_entries(0, 10**6) if e.action == "statement.signed"]


def checks_with_public_key_alone(entry, public_b64: str) -> None:
    """The signature over the statement as the server kept it: raw Ed25519, the context line, RFC 8785."""
    public = Ed25519PublicKey.from_public_bytes(unb64(public_b64))
    public.verify(unb64(entry.payload["signature"]), CONTEXT + rfc8785.dumps(entry.payload["statement"]))


def test_the_consoles_acknowledgment_is_accepted_where_signatures_are_required_only_once_signed_with_its_key(page, served, system, scene):
    sign_in(page, served.url, scene["token"])
    panel = page.locator("#signing")
    expect(panel).to_have_attribute("data-state", "unsigned")
    expect(panel).to_contain_text("this agreement requires signatures")
    item = page.locator(f'#conflict-list li[data-conflict="{scene["conflict"].id}"]')
    item.locator("button.ack").click()  # unsigned: refused
    expect(page.locator("#announcer")).to_contain_text("requires blue's signature")
    assert not blue_acknowledged(system, scene["conflict"].id)

    page.click("#signing-create")
    public = page.locator("#signing-public")
    expect(public).to_be_visible()
    public_b64 = public.text_content().strip()
    expect(panel).to_contain_text("not registered")
    page.click("#signing-register")
    expect(panel).to_have_attribute("data-state", "signing")
    (registered,) = system.party_keys("blue")
    assert registered.public_key == public_b64 and panel.get_attribute("data-key-id") == registered.key_id

    item.locator("button.ack").click()
    expect(item.locator('.ack-state[data-party="blue"]')).to_contain_text("blue ✓ acknowledged")
    assert blue_acknowledged(system, scene["conflict"].id)
    (said,) = statements(system)
    assert said.actor == "blue" and said.payload["key_id"] == registered.key_id
    assert said.payload["statement"]["path"] == f"/v1/conflicts/{scene['conflict'].id}/ack"
    checks_with_public_key_alone(said, public_b64)

    # The private key stays in the browser, and stays unreadable there; a reload finds it again.
    kept = page.evaluate("""() => new Promise((resolve, reject) => {
      const open = indexedDB.open("deconfliction-signing");
      open.onsuccess = () => {
        const get = open.result.transaction("keys").objectStore("keys").get("blue");
        get.onsuccess = async () => {
          const key = get.result.privateKey;
          let exported = "refused";
          try { await crypto.subtle.exportKey("pkcs8", key); exported = "exported"; } catch (e) {}
          resolve({extractable: key.extractable, type: key.type, exported});
        };
      };
      open.onerror = () => reject(open.error);
    })""")
    assert kept == {"extractable": False, "type": "private", "exported": "refused"}
    page.reload()
    page.wait_for_selector("#console:not([hidden])")
    expect(panel).to_have_attribute("data-state", "signing")
    assert panel.get_attribute("data-key-id") == registered.key_id
    assert page.errors == []


def test_the_consoles_hotline_message_is_signed_and_the_server_refuses_it_over_an_altered_body(page, served, system, scene):
    key = SigningKey.generate()
    system.add_party_key("blue", key.public_b64)  # registered first, e.g. with `deconfliction keys add`
    sign_in(page, served.url, scene["token"])
    page.set_input_files("#signing-import", files=[{"name": "blue.pem", "mimeType": "application/x-pem-file", "buffer": key.pem()}])
    panel = page.locator("#signing")
    expect(panel).to_have_attribute("data-state", "signing")
    assert panel.get_attribute("data-key-id") == key.id  # the same key as the PEM file's, by its id

    altered = []

    def alter(route, request):  # someone between the console and the server changes what was said
        body = json.loads(request.post_data)
        altered.append(request.headers.get("deconfliction-signature"))
        route.continue_(post_data=json.dumps({**body, "text": "Hold south of the river"}))

    page.route("**/v1/hotline/messages", alter)
    page.select_option("#compose-kind", "query")
    page.select_option("#compose-to", "red")
    page.fill("#compose-text", "Hold north of the river")
    with page.expect_response("**/v1/hotline/messages") as refused:
        page.click("#compose button[type=submit]")
    assert refused.value.status == 403 and refused.value.json()["field"] == "Deconfliction-Signature"
    assert "does not hold" in refused.value.json()["detail"]
    assert altered and altered[0].startswith("party=blue, keyId=" + key.id)
    expect(page.locator("#compose-state")).to_contain_text("Not sent")
    assert [m for m in system.sent("blue")] == [] and statements(system) == []

    page.unroute("**/v1/hotline/messages")
    page.fill("#compose-text", "Hold north of the river")
    page.click("#compose button[type=submit]")
    expect(page.locator("#compose-state")).to_contain_text("Sent query to red")
    (message,) = system.sent("blue")
    assert message.text == "Hold north of the river"
    (said,) = statements(system)
    assert said.payload["statement"]["body"]["text"] == "Hold north of the river"
    checks_with_public_key_alone(said, key.public_b64)


def test_a_browser_without_ed25519_says_it_cannot_sign_and_what_it_sends_goes_unsigned(browser, served, system, vol):
    blue = system.file_notice("blue", "pact", [vol()])
    red = system.file_notice("red", "pact", [vol(lon=2.352, start_h=1.5)], key=[blue.notice.version])
    context = browser.new_context(viewport={"width": 1400, "height": 850})
    context.add_init_script(NO_ED25519)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, served.url, system.issue_token("blue")[1])
        panel = page.locator("#signing")
        expect(panel).to_have_attribute("data-state", "cannot-sign")
        expect(panel).to_contain_text("This browser cannot sign: it has no WebCrypto Ed25519")
        expect(page.locator("#signing-create")).to_have_count(0)
        item = page.locator(f'#conflict-list li[data-conflict="{red.conflicts[0].id}"]')
        item.locator("button.ack").click()  # 'pact' does not require signatures here: accepted, unsigned
        expect(item.locator('.ack-state[data-party="blue"]')).to_contain_text("blue ✓ acknowledged")
        assert statements(system) == []
        held = []  # the answer for 'other' arrives only after 'pact' was chosen again: the last choice wins
        page.route("**/v1/agreements/other", lambda route: held.append(route))
        page.select_option("#agreement", "other")
        system.add_agreement(example_agreement(id="pact", signatures_required=True))
        page.select_option("#agreement", "pact")
        expect(panel).to_contain_text("this agreement refuses it")
        with page.expect_response("**/v1/agreements/other"):
            held[0].continue_()
        page.wait_for_timeout(200)  # a late answer applied would re-render the panel within a task or two
        expect(panel).to_contain_text("this agreement refuses it")
        expect(page.locator("#agreement")).to_have_value("pact")
    finally:
        context.close()


JSON_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)  # any code point but lone surrogates
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | JSON_TEXT
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)  # beyond ±2^53 RFC 8785 refuses integers (I-JSON)
    | st.floats(allow_nan=False, allow_infinity=False)  # subnormals, -0.0, 1e21 and past: ECMAScript's number form
    | st.sampled_from([5e-324, 1e21, 1e-7, 0.1, -0.0, 1.7976931348623157e308, 123456789012345680000.0]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(JSON_TEXT | st.sampled_from(["é", "€", "\U0001f600", "\ufb33", "a", "A", ""]), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(values=st.lists(JSON_VALUES, min_size=50, max_size=50))
def test_the_consoles_canonical_json_is_rfc_8785_byte_for_byte(page, served, values):
    """Against the rfc8785 package (what the server verifies with): member order by UTF-16 code units
    (astral characters sort before U+E000-U+FFFF there, not in code-point order), numbers in
    ECMAScript's shortest form, strings escaped as JSON.stringify does."""
    if page.url == "about:blank":
        page.goto(served.url + "/")
    canonical = page.evaluate(
        "async (texts) => { const { canonical } = await import('/console/js/signing.js');"
        " return texts.map((text) => canonical(JSON.parse(text))); }",
        [json.dumps(v) for v in values],
    )
    assert canonical == [rfc8785.dumps(v).decode() for v in values]
