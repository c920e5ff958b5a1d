"""Reports fixtures: the progress folder's course factory and grading helpers, and PDF text."""
from __future__ import annotations

import io

import pytest

from tests.progress import conftest as progress_fixtures

# the progress folder's fixtures, shared here
make_study_course = progress_fixtures.make_study_course
grade = progress_fixtures.grade
finish_lessons = progress_fixtures.finish_lessons


@pytest.fixture
def complete_course(make_study_course, grade, finish_lessons):
    """``complete_course(user, **course_args)``: a course made and completed by ``user``."""
    def complete(user, **kwargs):
        made = make_study_course(**kwargs)
        finish_lessons(user, made)
        if made.final is not None:
            grade.final(user, made.final)
        return made

    return complete


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    assert data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
