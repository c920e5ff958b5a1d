"""The editorial rules (docs/content-guide.md) as a page for trainers, linked from the editor."""
from __future__ import annotations

from lms.authoring.views.guide import GUIDE


def test_trainers_read_the_guide_rendered_from_the_document(client_for, trainer):
    web = client_for(trainer)
    html = web.get("/authoring/guide").get_data(as_text=True)
    assert "<h1>课程编写规范</h1>" in html
    # every section of the document, its table of terms and its YAML example, as safe HTML
    for heading in ("一、资料来源和引文", "二、用语：现行提法和已不再使用的提法", "三、怎样出一道公平的题",
                    "四、学时", "五、面向谁、必修还是选修", "六、程序能查出的几条"):
        assert f"<h2>{heading}</h2>" in html
    assert "<td>高素质农民</td>" in html and "<td>新型职业农民</td>" in html
    assert "<pre><code" in html and "credit_extra:" in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    assert "一懂两爱" in GUIDE.read_text(encoding="utf-8")


def test_the_editor_links_to_it_and_members_cannot_open_it(client_for, trainer, member):
    web = client_for(trainer)
    for url in ("/authoring/", "/authoring/courses/new"):
        assert 'href="/authoring/guide"' in web.get(url).get_data(as_text=True)
    assert "每 45 分钟学习" in web.get("/authoring/courses/new").get_data(as_text=True)
    assert client_for(member).get("/authoring/guide").status_code in (403, 404)
