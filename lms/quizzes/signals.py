"""What grading tells later domains, without knowing them (blinker, as Flask itself uses).

Receivers run inside the grading transaction, before its commit, so a credit is written together
with the result or not at all.
"""
from blinker import Namespace

_signals = Namespace()

#: sender: the Quiz; kwargs: user, lesson_id, attempt — a lesson check was passed
lesson_check_passed = _signals.signal("lesson-check-passed")
#: sender: the Quiz; kwargs: user, course_id, attempt — a final quiz was passed
final_quiz_passed = _signals.signal("final-quiz-passed")
#: sender: the Quiz; kwargs: user, lesson_id, attempt, passed — a lesson check was submitted
#: (the check sits after the lesson text, so this also means the member reached the end)
lesson_check_submitted = _signals.signal("lesson-check-submitted")
