"""A person signs in through the real page on a phone-sized screen; nothing leaves the server."""
import pytest

from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser


def test_sign_in_through_the_page_makes_no_outside_request(phone_page, member, outside_hosts):
    page = phone_page
    page.goto(page.base + "/")
    assert "登录田埂课堂" in page.content()
    page.fill("input[name=phone]", member.phone)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    page.goto(page.base + "/account")
    assert member.name in page.inner_text("main")
    # body text is at least 18px with line height ≥ 1.5, and the size switch works
    size, line = page.evaluate("""() => { const s = getComputedStyle(document.body);
        return [parseFloat(s.fontSize), parseFloat(s.lineHeight)]; }""")
    assert size >= 18 and line / size >= 1.5
    page.click(".size-switch button[data-size=xlarge]")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 24
    page.reload()
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 24
    assert outside_hosts(page.requested) == []
    assert len(page.requested) >= 4
