"""Every domain's models, for Alembic and `flask shell`."""
from lms.audit.models import AuditLog  # noqa: F401
from lms.auth.models import User  # noqa: F401
from lms.authoring.models import CourseAuthor, LessonDraft  # noqa: F401
from lms.core.receipts import SyncReceipt  # noqa: F401
from lms.courses.models import Course, Lesson, MediaFile  # noqa: F401
from lms.meetings.models import Attendance, HomeVisit, Meeting  # noqa: F401
from lms.orgs.models import Membership, Organization  # noqa: F401
from lms.progress.models import (  # noqa: F401
    CourseAssignment,
    CourseCompletion,
    Enrollment,
    LessonProgress,
    MemberAssignment,
    StudyHours,
)
from lms.quizzes.models import Attempt, Question, Quiz, Response, WrongAnswer  # noqa: F401
from lms.reports.models import Certificate, XapiStatement  # noqa: F401
