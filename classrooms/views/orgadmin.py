"""WORK IN PROGRESS: placeholder replaced in this session."""

def teacher_list(request, **kwargs):
    raise NotImplementedError


def teacher_issue(request, **kwargs):
    raise NotImplementedError


def teacher_suspend(request, **kwargs):
    raise NotImplementedError


def teacher_reactivate(request, **kwargs):
    raise NotImplementedError


def teacher_password_reissue(request, **kwargs):
    raise NotImplementedError


def class_list(request, **kwargs):
    raise NotImplementedError


def class_detail(request, **kwargs):
    raise NotImplementedError


def audit_log(request, **kwargs):
    raise NotImplementedError


