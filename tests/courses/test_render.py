"""Lesson Markdown → HTML: the nh3 allowlist, media rewriting, and what never gets through."""
from __future__ import annotations

import re

import pytest

from lms.courses.render import TAGS, media_key, plain_text, render_markdown, sanitize

from .conftest import tag_names, unsafe_markup

URLS = {"media/boat.png": "/media/aaa.png", "media/渔船 图.png": "/media/bbb.png",
        "media/x\" onerror=\"alert(1).png": "/media/ccc.png",
        "media/sub/deep.png": "/media/ddd.png"}


@pytest.mark.parametrize(("markdown", "expected"), [
    ("普通的一段话。", "<p>普通的一段话。</p>"),
    ("# 大标题", "<h2>大标题</h2>"),  # the page's h1 is the lesson title
    ("## 小标题", "<h2>小标题</h2>"),
    ("### 三级", "<h3>三级</h3>"),
    ("**重点** *强调* ~~删去~~", "<p><strong>重点</strong> <em>强调</em> <s>删去</s></p>"),
    ("- 一\n- 二", "<ul>\n<li>一</li>\n<li>二</li>\n</ul>"),
    ("3. 三\n4. 四", '<ol start="3">'),
    ("> 引用", "<blockquote>\n<p>引用</p>\n</blockquote>"),
    ("`代码`", "<code>代码</code>"),
    ("---", "<hr>"),
    ("| 左 | 右 |\n|:-|-:|\n| 1 | 2 |", '<td style="text-align:right">2</td>'),
    ("[链接](https://www.12371.cn/)",
     '<a href="https://www.12371.cn/" rel="noopener noreferrer nofollow">链接</a>'),
    ("[写信](mailto:dangban@example.cn)", 'href="mailto:dangban@example.cn"'),
    ("[本站](/courses/)", 'href="/courses/"'),
    ("![渔船](media/boat.png)", '<img src="/media/aaa.png" alt="渔船" loading="lazy">'),
    ("![渔船](../media/boat.png)", '<img src="/media/aaa.png" alt="渔船" loading="lazy">'),
    ("![渔船](media/./boat.png \"标题\")", '<img src="/media/aaa.png" alt="渔船" title="标题"'),
    ("![图](<media/渔船 图.png>)", '<img src="/media/bbb.png"'),  # non-ASCII and a space
    ("![图](media/%E6%B8%94%E8%88%B9%20%E5%9B%BE.png)", '<img src="/media/bbb.png"'),
    ("![图](media/sub/deep.png)", '<img src="/media/ddd.png"'),
    ("![图][ref]\n\n[ref]: media/boat.png", '<img src="/media/aaa.png"'),
])
def test_allowed_markdown_renders(markdown, expected):
    assert expected in render_markdown(markdown, URLS)


@pytest.mark.parametrize(("markdown", "forbidden"), [
    ("<script>alert(1)</script>", "<script"),
    ("<img src=x onerror=alert(1)>", "<img"),
    ("<a href=\"javascript:alert(1)\">x</a>", "<a "),
    ("[x](javascript:alert(1))", "href"),
    ("[x](JaVaScRiPt:alert(1))", "href"),
    ("[x](<javascript:alert(1)>)", "href"),
    ("[x](&#106;avascript:alert(1))", "href"),
    ("[x](vbscript:msgbox(1))", "href"),
    ("[x](data:text/html;base64,PHNjcmlwdD4=)", "href"),
    ("<javascript:alert(1)>", "href"),
    ("[x](\" onmouseover=\"alert(1))", "onmouseover=\""),
    ("![x\" onerror=\"alert(1)](media/boat.png)", "onerror=\""),
    ("<p style=\"background:url(//evil.example/x)\">x</p>", "<p style"),
    ("<div onclick=alert(1)>x</div>", "<div"),
    ("<iframe src=//evil.example></iframe>", "<iframe"),
    ("<svg onload=alert(1)>", "<svg"),
    ("<!-- 注释 --><b>粗</b>", "<!--"),
    ("<style>body{display:none}</style>", "<style"),
    ("<form action=//evil.example><input></form>", "<form"),
    ("<meta http-equiv=refresh content=0;url=//evil.example>", "<meta"),
    ("<base href=//evil.example/>", "<base"),
    ("![外站](https://evil.example/pixel.png)", "evil.example"),
    ("![外站](//evil.example/pixel.png)", "evil.example"),
    ("![外站](HTTP://evil.example/pixel.png)", "evil.example"),
    ("![数据](data:image/png;base64,iVBORw0KGgo=)", "data:"),
    ("![不在包里](media/missing.png)", "<img"),
    ("![绕路](media/../../etc/passwd.png)", "<img"),
    ("![绕路](media/%2e%2e/%2e%2e/boat.png)", "<img"),
    ("![绝对](/media/aaa.png)", "<img"),
    ("![反斜杠](media\\boat.png)", "<img"),
    ("#### 四级\n##### 五级", "<h5"),
])
def test_nothing_outside_the_allowlist_gets_through(markdown, forbidden):
    """``forbidden`` is absent from the markup; the words of a payload may stay, as text."""
    html = render_markdown(markdown, URLS)
    assert unsafe_markup(html) == []
    assert tag_names(html) <= TAGS
    assert forbidden not in markup_only(html)


def markup_only(html: str) -> str:
    """The tags of ``html`` with their attributes, text left out."""
    return " ".join(re.findall(r"<[^>]*>", html))


def test_a_dropped_image_keeps_its_words():
    assert render_markdown("看 ![外站的图](https://evil.example/a.png) 这里", URLS) == \
        "<p>看 外站的图 这里</p>\n"


def test_a_media_file_whose_name_is_a_payload_renders_as_its_hashed_url():
    html = render_markdown('![船](media/x%22%20onerror%3D%22alert(1).png)', URLS)
    assert html == '<p><img src="/media/ccc.png" alt="船" loading="lazy"></p>\n'


def test_raw_html_in_markdown_is_shown_as_text():
    html = render_markdown('<img src=x onerror=alert(1)> & <b>粗</b>', URLS)
    assert html == "<p>&lt;img src=x onerror=alert(1)&gt; &amp; &lt;b&gt;粗&lt;/b&gt;</p>\n"


@pytest.mark.parametrize(("html", "expected"), [
    ('<p onclick="x()">a</p>', "<p>a</p>"),
    ('<a href="javascript:alert(1)" onclick="x">a</a>',
     '<a rel="noopener noreferrer nofollow">a</a>'),
    ('<a href="https://ok.example/" target="_blank">a</a>',
     '<a href="https://ok.example/" rel="noopener noreferrer nofollow">a</a>'),
    ('<img src="/media/a.png" onerror="x()" width="9999">', '<img src="/media/a.png">'),
    ('<img src="javascript:alert(1)">', "<img>"),
    ("<script>alert(1)</script>ok", "ok"),
    ("<style>p{}</style>ok", "ok"),
    ("<iframe src='/x'></iframe>ok", "ok"),
    ("<object data='/x'></object>ok", "ok"),
    ("<div><span>文字</span></div>", "文字"),
    ("<!-- 注释 -->ok", "ok"),
    ('<table><tr><td style="color:red;text-align:center">t</td></tr></table>',
     '<table><tbody><tr><td style="text-align:center">t</td></tr></tbody></table>'),
    ('<h1 id="x" class="y">标题</h1>', "标题"),
    ('<ol start="2" type="i"><li>x</li></ol>', '<ol start="2"><li>x</li></ol>'),
])
def test_sanitize_keeps_only_the_allowlist(html, expected):
    assert sanitize(html) == expected


@pytest.mark.parametrize(("src", "key"), [
    ("media/boat.png", "media/boat.png"),
    ("../media/boat.png", "media/boat.png"),
    ("./media/boat.png", "media/boat.png"),
    ("media/%E6%B8%94.png", "media/渔.png"),
    ("media/boat.png?x=1#y", "media/boat.png"),
    ("media/", None),
    ("media", None),
    ("lessons/01.md", None),
    ("../../media/boat.png", None),
    ("media/../lessons/x.png", None),
    ("/media/boat.png", None),
    ("https://evil.example/media/boat.png", None),
    ("data:image/png;base64,AAAA", None),
    ("", None),
])
def test_media_key(src, key):
    assert media_key(src) == key


def test_plain_text_is_the_words_only():
    assert plain_text("# 标题\n\n**粗** 和 <b>尖括号</b> & 符号") == "标题\n粗 和 <b>尖括号</b> & 符号"
