"""The operator's item analysis of an exam in the console, over every school that sat it (docs/design.md §3).

A page of the exam's admin (`admin:exams_exam_item_analysis`), linked from the exam's console page, for one
version at a time (`?version=n`; by default the newest version with results): a version's questions are its
own. The numbers and their suppression come from exams/results.py (`exam_analysis`).
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _

from exams.models import ExamVersion
from exams.results import SUPPRESS_BELOW, exam_analysis, operator_versions


class ItemAnalysisConsole(admin.ModelAdmin):
    """Adds the item analysis page to the exam's admin."""

    def get_urls(self):
        view = self.admin_site.admin_view(self.item_analysis_view)
        return [path("<path:object_id>/item-analysis/", view, name="exams_exam_item_analysis"), *super().get_urls()]

    def item_analysis_view(self, request, object_id: str):
        if not self.has_view_permission(request):
            raise PermissionDenied
        exam = self.get_object(request, object_id)
        if exam is None:
            raise Http404
        versions = operator_versions(exam)
        version = self._chosen_version(request, exam, versions)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": exam,
            "title": _("Item analysis: %(title)s") % {"title": exam.title},
            "versions": versions,
            "version": version,
            "analysis": exam_analysis(exam, version),
            "suppress_below": SUPPRESS_BELOW,
            "questions_readable": True,  # the operator's own console
        }
        return render(request, "admin/exams/exam/item_analysis.html", context)

    @staticmethod
    def _chosen_version(request, exam, versions: list[int]) -> ExamVersion | None:
        """`?version=n` (a number with results), else the newest version with results; None without any."""
        wanted = request.GET.get("version", "")
        if wanted:
            if not wanted.isdigit() or int(wanted) not in versions:
                raise Http404
            number = int(wanted)
        elif versions:
            number = versions[0]
        else:
            return None
        return ExamVersion.objects.get(exam=exam, number=number)
