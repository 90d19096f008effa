"""islet.build.render_cache: the arguments of a write_file call, as its key sees them."""
import inspect

from hypothesis import given, settings
from hypothesis import strategies as st
from pelican.writers import Writer

from islet.build.render_cache import _arguments

_NAMES = ["relative_urls", "paginated", "template_name", "override_output", "url", "name", "self", "context",
          "kwargs", "article", "articles", "dates", "page_name"]


@settings(max_examples=300, deadline=None)
@given(positional=st.lists(st.integers(), max_size=7), named=st.dictionaries(st.sampled_from(_NAMES), st.integers(),
                                                                             max_size=5))
def test_write_file_arguments_are_those_inspect_binds(positional, named):
    writer = object()
    try:
        expected = dict(inspect.signature(Writer.write_file).bind(writer, "n", "t", {}, *positional, **named).arguments)
    except TypeError:
        try:
            _arguments(writer, "n", "t", {}, tuple(positional), named)
        except TypeError:
            return
        raise AssertionError("bound a call inspect refuses")
    assert _arguments(writer, "n", "t", {}, tuple(positional), named) == expected
