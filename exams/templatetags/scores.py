"""`points`: a score as people write it, 7 or 7.5 (exams.scoring.points_text, docs/design.md §3)."""

from django import template

from exams.scoring import points_text

register = template.Library()


@register.filter
def points(value) -> str:
    return points_text(value)
