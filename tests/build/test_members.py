"""islet.build.members: a Members list answers `in` as a list does, after any sequence of changes, for
objects that compare by identity and for values with an __eq__ of their own."""
from __future__ import annotations

import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from islet.build.members import Members, quick_membership


class Thing:                       # compares by identity, as Pelican's content objects
    pass


class Same:                        # equal to every other Same: `in` must find an equal one, not only itself
    def __eq__(self, other):
        return isinstance(other, Same)

    __hash__ = object.__hash__


POOL = [Thing() for _ in range(6)] + [Same(), Same(), 3, 3.0, "a"]
item = st.sampled_from(POOL)
index = st.integers(-8, 8)
OPERATIONS = st.one_of(
    st.tuples(st.just("append"), item), st.tuples(st.just("extend"), st.lists(item, max_size=3)),
    st.tuples(st.just("insert"), index, item), st.tuples(st.just("remove"), item), st.tuples(st.just("pop"), index),
    st.tuples(st.just("clear")), st.tuples(st.just("__setitem__"), index, item),
    st.tuples(st.just("__delitem__"), index), st.tuples(st.just("slice"), st.lists(item, max_size=3)),
    st.tuples(st.just("__iadd__"), st.lists(item, max_size=2)), st.tuples(st.just("sort_reverse")),
)


def apply(target: list, operation: tuple) -> None:
    name, *args = operation
    try:
        if name == "slice":
            target[1:3] = args[0]
        elif name == "sort_reverse":
            target.reverse()
        elif name == "__iadd__":
            target += args[0]
        else:
            getattr(target, name)(*args)
    except (ValueError, IndexError):
        pass


@settings(max_examples=300, deadline=None)
@given(st.lists(item, max_size=6), st.lists(OPERATIONS, max_size=12))
def test_in_answers_as_a_list_does_after_any_changes(start, operations):
    members, plain = Members(start), list(start)
    for operation in operations:
        apply(members, operation)
        apply(plain, operation)
        assert list(members) == plain
        for probe in POOL:
            assert (probe in members) == (probe in plain), (probe, plain)


def test_a_members_list_is_a_list_to_templates_and_pickle():
    things = [Thing(), Thing()]
    members = Members(things)
    assert isinstance(members, list) and members == things and len(members) == 2
    assert things[0] in members
    again = pickle.loads(pickle.dumps(members))
    assert len(again) == 2 and again[0] in again and things[0] not in again


def test_the_generator_lists_and_its_context_get_members():
    class Generator:
        def __init__(self):
            self.tags = {"t": [Thing()]}
            self.categories = [("c", [Thing()])]
            self.authors = [("a", [Thing()])]
            self.context = {}

        def _update_context(self, names):
            for name in names:
                value = getattr(self, name)
                self.context[name] = list(value.items()) if hasattr(value, "items") else value

    generator = Generator()
    before = generator.tags["t"][0]
    quick_membership(generator)
    assert isinstance(generator.tags["t"], Members) and generator.tags["t"] == [before]
    assert all(isinstance(items, Members) for _, items in generator.categories + generator.authors)
    assert generator.context["tags"] == [("t", generator.tags["t"])]
    assert generator.context["categories"] is generator.categories


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(["en", "fr", "de"]),
                          st.sampled_from([None, "true", "false"])), max_size=12),
       st.sampled_from(["slug", ["slug", "lang"], "", None]))
def test_translations_are_found_as_pelicans_own_function_finds_them(rows, translation_id):
    """quick_translations: Pelican's process_translations, its source made again with `index` a Members. Same
    originals and translations, in the same order, and the same `translations` of every object."""
    from pelican import generators, utils
    from pelican.contents import Article
    from pelican.settings import DEFAULT_CONFIG
    from pelican.utils import SafeDatetime

    from islet.build.members import quick_translations

    quick_translations()
    assert generators.process_translations is utils.process_translations
    quick, pelicans = utils.process_translations, utils.process_translations.pelicans
    assert quick is not pelicans

    def articles():
        made = []
        for n, (slug, lang, translation) in enumerate(rows):
            metadata = {"title": f"T{n}", "slug": slug, "lang": lang, "date": SafeDatetime(2026, 1, 1 + n)}
            if translation is not None:
                metadata["translation"] = translation
            made.append(Article("<p>x</p>", metadata, settings=DEFAULT_CONFIG, source_path=f"/c/{n}.md"))
        return made

    def outcome(function):
        made = articles()
        index, translations = function(made, translation_id)
        number = {id(a): int(a.title[1:]) for a in made}
        return ([number[id(a)] for a in index], [number[id(a)] for a in translations],
                [[number[id(t)] for t in getattr(a, "translations", [])] for a in sorted(made, key=lambda a: a.title)])

    assert outcome(quick) == outcome(pelicans)


def test_a_site_with_a_translation_lists_the_original_and_writes_both(tmp_path):
    from support.site import clean_output, make_site, tree

    body = "Title: {title}\nDate: 2026-03-0{day}\nSlug: tide\nLang: {lang}\n\n{text}\n"
    site = make_site(tmp_path / "site", {
        "content/articles/tide.md": body.format(title="Tide", day=1, lang="en", text="The tide."),
        "content/articles/tide-fr.md": body.format(title="Marée", day=2, lang="fr", text="La marée."),
        "content/articles/reef.md": "Title: Reef\nDate: 2026-03-03\n\nThe reef.\n"})
    built = site.build()
    assert built.code == 0, built.stdout + built.stderr
    assert site.path("build/tide-fr.html").is_file() and site.path("build/articles/tide.html").is_file()   # Pelican's LANG_SAVE_AS
    index = site.path("build/index.html").read_text(encoding="utf-8")
    assert "Tide" in index and "Reef" in index and "Marée" not in index
    assert tree(site) == clean_output(site, tmp_path / "clean")


@settings(max_examples=300, deadline=None)
@given(st.lists(item, max_size=10), st.lists(item, max_size=6), st.booleans())
def test_in_date_order_is_pelicans_list_of_a_tags_articles(dates, articles, as_members):
    from islet.build.members import in_date_order

    listed = Members(articles) if as_members else list(articles)
    assert in_date_order(dates, listed) == [a for a in dates if a in articles]


def test_tag_category_and_author_pages_get_the_lists_pelicans_own_methods_give():
    """quick_archives: the three methods made again from Pelican's source write the same pages with the same
    arguments, `dates` included (an article in two tags, one in none, one compared by value)."""
    from types import SimpleNamespace

    from pelican import generators

    from islet.build.members import quick_archives

    quick_archives()
    Generator = generators.ArticlesGenerator
    a, b, c = Thing(), Thing(), Same()
    class Named(SimpleNamespace):
        __hash__ = object.__hash__

    named = lambda name: Named(save_as=f"{name}.html", url=name, page_name=name, slug=name)  # noqa: E731
    generator = SimpleNamespace(
        dates=[c, b, a, Thing()], articles=[a, b, c], context={}, get_template=lambda name: f"template:{name}",
        tags={named("t1"): Members([a, b]), named("t2"): Members([b, c]), named("t3"): [a]},
        categories=[(named("c1"), Members([a, b, c]))], authors=[(named("x"), Members([b]))])
    for name in ("generate_tags", "generate_categories", "generate_authors"):
        quick = getattr(Generator, name)
        assert quick.islet_quick and quick is not quick.pelicans
        written = {}
        for function in (quick, quick.pelicans):
            calls = []
            function(generator, lambda *args, **kwargs: calls.append((args, kwargs)))
            written[function] = calls
        assert written[quick] == written[quick.pelicans] and written[quick]
