"""User text is Markdown, rendered and then sanitised: nothing a user types runs or styles."""

from __future__ import annotations

from supportdesk.markdown import render_markdown


def test_script_and_event_handlers_are_removed():
    html = render_markdown('<script>alert(1)</script><img src=x onerror="alert(2)"> **ok**')
    assert "<script" not in html and "onerror" not in html
    assert "<strong>ok</strong>" in html


def test_javascript_links_are_dropped():
    html = render_markdown("[click](javascript:alert(1))")
    assert "javascript:" not in html


def test_bare_addresses_become_links_with_safe_rel():
    html = render_markdown("Follow progress at https://hub.example.org/incidents/7.")
    assert '<a href="https://hub.example.org/incidents/7"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert html.rstrip().endswith(".</p>")


def test_addresses_in_code_and_existing_links_are_left_alone():
    html = render_markdown(
        "`curl https://api.example.org/x` and [docs](https://docs.example.org) and "
        "<https://auto.example.org>\n\n```\nwget https://fenced.example.org/y\n```"
    )
    assert "<code>curl https://api.example.org/x</code>" in html
    assert html.count('href="https://docs.example.org"') == 1
    assert html.count('href="https://auto.example.org"') == 1
    assert "wget https://fenced.example.org/y" in html
    assert 'href="https://fenced.example.org' not in html


def test_the_reused_converter_renders_each_text_as_a_fresh_one_would():
    # render_markdown keeps one converter per thread: nothing of one text (stashed code
    # blocks and raw HTML, list state) may leak into the next.
    import markdown as md
    import nh3

    from supportdesk.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, _autolink

    texts = [
        "```\ncode <b>x</b>\n```\n\nafter",
        "<div>raw</div>\n\n1. one\n2. two\n\n| a | b |\n|---|---|\n| 1 | 2 |",
        "plain line\nsecond line https://example.org/x",
        "",
        "```\ncode <b>x</b>\n```\n\nafter",
    ]
    for text in texts:
        fresh = md.markdown(
            _autolink(text), extensions=["fenced_code", "tables", "sane_lists", "nl2br"]
        )
        expected = nh3.clean(
            fresh,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow",
        )
        assert render_markdown(text) == expected
