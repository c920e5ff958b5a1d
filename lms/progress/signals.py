"""What progress tells later domains (reports: certificates, learning records out), without
knowing them. Receivers run inside the writing transaction, before its commit, so what they add
is written together with the completion or not at all; they never commit."""
from blinker import Namespace

_signals = Namespace()

#: sender: the CourseCompletion; kwargs: user, course — a course was completed (once per member
#: and course; its hours are in the ledger by then)
course_completed = _signals.signal("course-completed")
#: sender: the LessonProgress; kwargs: user_id, lesson — a member opened a lesson for the first
#: time (its progress row was made, online or by an offline sync's batch)
lesson_started = _signals.signal("lesson-started")
#: sender: the LessonProgress; kwargs: user, lesson — a lesson became complete
lesson_completed = _signals.signal("lesson-completed")
#: sender: None; kwargs: user_id, started — lessons a member opened for the first time in one
#: batch write (the offline sync, lms.progress.batch): ``started`` lists (LessonProgress,
#: Lesson). Sent instead of ``lesson-started`` for each, like ``courses-completed`` below.
lessons_started = _signals.signal("lessons-started")
#: sender: None; kwargs: user, completed — lessons completed in one batch write: ``completed``
#: lists (LessonProgress, Lesson). Sent instead of ``lesson-completed`` for each.
lessons_completed = _signals.signal("lessons-completed")
#: sender: None; kwargs: user, completed — several courses of one member completed in one batch
#: write (the offline sync, lms.progress.batch): ``completed`` lists (CourseCompletion, Course).
#: Sent instead of ``course-completed`` for each, so a receiver of that one takes this too
#: (tests/offline/test_sync.py holds every receiver to it).
courses_completed = _signals.signal("courses-completed")
