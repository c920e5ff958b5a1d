"""What each audit action is called on the page, in the interface's language. An action with no
label here is shown by its code, so a new one never breaks the page (tests list the ones
recorded without a label)."""
from lms.core.i18n import N_

ACTION_LABELS = {
    "auth.login": N_("登录"),
    "auth.logout": N_("退出登录"),
    "auth.lockout": N_("账户锁定"),
    "auth.password_change": N_("修改密码"),
    "auth.password_reset": N_("生成一次性登录码"),
    "auth.unlock": N_("解除账户锁定"),
    "user.create": N_("添加账户"),
    "member.update": N_("修改党员信息"),
    "role.grant": N_("任命职务"),
    "role.revoke": N_("免去职务"),
    "roster.import": N_("导入名册"),
    "roster.export": N_("导出名册"),
    "org.create": N_("新建党组织"),
    "org.rename": N_("党组织改名"),
    "org.move": N_("调整隶属关系"),
    "course.import": N_("导入课程包"),
    "course.assign": N_("布置必修课"),
    "course.unassign": N_("撤销必修课"),
    "hours.manual": N_("手工登记学时"),
    "progress.export": N_("导出学习情况"),
    "quiz.grant_attempts": N_("增加测验次数"),
    "authoring.course.create": N_("新建课程"),
    "authoring.course.update": N_("修改课程"),
    "authoring.course.publish": N_("发布课程"),
    "authoring.course.unpublish": N_("撤回课程"),
    "authoring.course.publish_changes": N_("发布修改"),
    "authoring.course.discard_changes": N_("放弃修改"),
    "authoring.course.export": N_("导出课程包"),
    "authoring.author.add": N_("添加合作讲师"),
    "authoring.author.remove": N_("移除合作讲师"),
    "authoring.lesson.add": N_("添加课文"),
    "authoring.lesson.update": N_("修改课文"),
    "authoring.lesson.move": N_("调整课文顺序"),
    "authoring.lesson.archive": N_("下架课文"),
    "authoring.lesson.restore": N_("恢复课文"),
    "authoring.media.upload": N_("上传图片或音频"),
    "authoring.quiz.create": N_("添加测验"),
    "authoring.quiz.settings": N_("修改测验设置"),
    "authoring.question.add": N_("添加题目"),
    "authoring.question.update": N_("修改题目"),
    "authoring.question.restore": N_("恢复题目"),
    "authoring.questions.import": N_("导入题目"),
    "authoring.bank.export": N_("导出题库"),
    "meeting.save": N_("保存会议记录"),
    "meeting.close": N_("会议记录定稿"),
    "meeting.correct": N_("更正会议记录"),
    "meeting.checkin": N_("扫码签到"),
    "meeting.home_visit": N_("送学上门"),
    "reports.certificate_revoke": N_("撤销结业证书"),
    "reports.archive": N_("生成年度档案"),
}


def action_label(action: str) -> str:
    """The msgid for an action (translate it when shown), or the code itself."""
    return ACTION_LABELS.get(action, action)
