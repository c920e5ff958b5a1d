"""Every page's frame: Chinese error pages, security headers, no outside hosts in templates."""
import re
from pathlib import Path

import pytest
from flask import abort

from tests.helpers import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("code, title", [
    (400, "请求有误"), (403, "没有权限"), (404, "页面不存在"), (409, "内容已变化"),
    (413, "文件太大"), (429, "操作太频繁"), (500, "出错了"),
])
def test_error_pages_are_chinese_and_say_what_to_do(app_factory, code, title):
    app = app_factory(PROPAGATE_EXCEPTIONS=False)

    @app.get(f"/boom-{code}")
    def boom():
        if code == 500:
            raise RuntimeError("a bug")
        abort(code)

    with app.app_context():
        response = app.test_client().get(f"/boom-{code}")
    page = response.get_data(as_text=True)
    assert response.status_code == code
    assert title in page and f"错误代码 {code}" in page and 'lang="zh-CN"' in page
    assert "a bug" not in page and "Traceback" not in page


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_session_cookie_is_httponly_and_lax(client, member):
    response = client.post("/login", data={"phone": member.phone, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_template_or_static_file_names_another_host():
    pattern = re.compile(r"""(src|href|action)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//""")
    offenders = [str(path.relative_to(ROOT)) for folder in ("templates", "lms/static")
                 for path in (ROOT / folder).rglob("*") if path.is_file()
                 and path.suffix in (".html", ".css", ".js", ".svg")
                 and pattern.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_no_inline_script_or_style_in_templates():
    """The CSP forbids inline script; an inline style would be ignored too."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\sstyle=", text) \
                or re.search(r"\son[a-z]+=", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
