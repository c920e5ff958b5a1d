"""What grading tells later domains, without knowing them (blinker, as Flask itself uses).

One signal per event, carrying its outcome. Receivers run inside the grading transaction, before
its commit, so a credit is written together with the result or not at all. They are connected
when the app is built (``create_app``'s ``register_signals``), not when a package is imported.
"""
from blinker import Namespace

_signals = Namespace()

#: sender: the Quiz; kwargs: user, lesson_id, attempt, passed — a lesson check was graded
#: (the check sits after the lesson text, so this also means the member reached the end)
lesson_check_graded = _signals.signal("lesson-check-graded")
#: sender: the Quiz; kwargs: user, course_id, attempt, passed — a final quiz was graded, passed
#: or not (sent before ``final-quiz-passed``, which follows only when it passed)
final_quiz_graded = _signals.signal("final-quiz-graded")
#: sender: the Quiz; kwargs: user, course_id, attempt — a final quiz was passed
final_quiz_passed = _signals.signal("final-quiz-passed")
#: sender: None; kwargs: user, checks, now — many lesson checks of one member were graded at once
#: (offline sync, lms.quizzes.batch): ``checks`` lists GradedCheck(lesson_id, quiz_id, passed,
#: attempt_id, …). Receivers do what they do for ``lesson-check-graded``, set-based.
lesson_checks_graded = _signals.signal("lesson-checks-graded")
