from __future__ import annotations

from django import template

from supportdesk.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    """{{ message.body|markdown }}: Markdown rendered and sanitised."""
    return render_markdown(text)
