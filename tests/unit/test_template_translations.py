"""Templates' `_()` and `ngettext()` give what Jinja's own new-style ones give."""

from __future__ import annotations

import gettext

from jinja2 import Environment, select_autoescape

CASES = [
    "{{ _('Contents') }}",
    "{{ _('100%% of %(name)s', name=who) }}",
    "{{ _('%(kind)s by %(name)s', kind='Question', name=who) }}",
    "{{ gettext('Editors\\' answer: %(x)s', x=who) }}",
    "{{ ngettext('%(num)d thread', '%(num)d threads', 1) }}",
    "{{ ngettext('%(num)d reply', '%(num)d replies', 3) }} {{ ngettext('%(num)d of %(who)s', "
    "'%(num)d of %(who)s', 2, who=who) }}",
    "{% trans %}Hello {{ who }}{% endtrans %}",
    "{% trans n=2 %}{{ n }} thread{% pluralize %}{{ n }} threads{% endtrans %}",
    "{{ _('Contents') ~ who }}",
]


def _jinja_own(autoescape: bool) -> Environment:
    env = Environment(
        extensions=["jinja2.ext.i18n"],
        autoescape=select_autoescape(default_for_string=autoescape),
    )
    env.install_gettext_translations(gettext.NullTranslations(), newstyle=True)
    return env


def test_translations_in_templates_match_jinja_with_and_without_autoescaping(app):
    who = '<b>O\'Brien & "Co"</b>'
    with app.test_request_context("/"):
        for autoescape in (True, False):
            ours = app.jinja_env.overlay(autoescape=autoescape)
            theirs = _jinja_own(autoescape)
            for source in CASES:
                expected = theirs.from_string(source).render(who=who)
                assert ours.from_string(source).render(who=who) == expected, source
        # The page's templates autoescape: a variable is escaped, the string itself is not.
        page = app.jinja_env.from_string("{{ _('Notes to %(s)s', s=who) }}").render(who=who)
        assert page == "Notes to &lt;b&gt;O&#39;Brien &amp; &#34;Co&#34;&lt;/b&gt;"
