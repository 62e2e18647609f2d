"""WORK IN PROGRESS: placeholder replaced in this session."""

def class_list(request, **kwargs):
    raise NotImplementedError


def class_create(request, **kwargs):
    raise NotImplementedError


def roster(request, **kwargs):
    raise NotImplementedError


def class_rename(request, **kwargs):
    raise NotImplementedError


def examinee_add(request, **kwargs):
    raise NotImplementedError


def enroll_existing(request, **kwargs):
    raise NotImplementedError


def roster_import(request, **kwargs):
    raise NotImplementedError


def roster_export(request, **kwargs):
    raise NotImplementedError


def examinee_edit(request, **kwargs):
    raise NotImplementedError


def enrollment_end(request, **kwargs):
    raise NotImplementedError


def password_reissue(request, **kwargs):
    raise NotImplementedError


