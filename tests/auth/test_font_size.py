"""The font size is kept with the account, and every page says who is signed in."""
from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db


def test_the_size_is_kept_with_the_account(client, login, member):
    login(member)
    assert client.post("/account/font-size", data={"size": "xlarge"}).status_code == 200
    assert db.session.scalar(select(User.font_size).where(User.id == member.id)) == "xlarge"
    page = client.get("/study/").get_data(as_text=True)
    assert 'data-size="xlarge" class="size-xlarge"' in page


def test_an_unknown_size_is_refused_and_nothing_is_kept(client, login, member):
    login(member)
    response = client.post("/account/font-size", data={"size": "huge"})
    assert response.status_code == 400 and "没有这个字号" in response.get_json()["error"]
    assert db.session.scalar(select(User.font_size).where(User.id == member.id)) is None


def test_signed_out_the_size_cannot_be_kept(client):
    assert client.post("/account/font-size", data={"size": "large"}).status_code == 302


def test_the_signed_in_members_name_is_in_the_header(client, login, member):
    login(member)
    page = client.get("/courses/").get_data(as_text=True)
    header = page[page.index('<header class="top">'):page.index("</header>")]
    assert f"当前登录：{member.name}" in header
