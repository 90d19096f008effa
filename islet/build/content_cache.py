"""Content-object cache (with layer 2 of islet.build.incremental): Pelican's Article and Page objects of
unchanged sources kept between builds, so that an edit to one article does not make a thousand again.

The reader cache (islet.build.reader_cache) spares parsing a source; Pelican still makes an object of
each (metadata processed, slug, dates, Tag and Category objects…), which is most of what reading a
thousand cached sources costs. Pelican can cache these objects itself (``CONTENT_CACHING_LAYER =
"generator"``); islet does the same by the reader cache's key (the source's bytes and path, and all the
reader depends on, the settings file among it), and only where that gives exactly the object Pelican
would make (`usable`):

- only sources islet's Markdown reader reads, and objects whose making logged nothing (a warning would
  then be given only once, by the build that made the object);
- only while no plugin listens to what is skipped: Pelican's ``*_generator_preread`` and
  ``*_generator_context`` signals, and ``content_object_init`` but for islet's own receiver (`own`; a
  plugin's may change the object, and a kept object has that change already). The signal is sent again
  for each object taken from the cache, as Pelican sends it when it makes one, for islet's receiver;
- not with ``DEFAULT_DATE = "fs"`` (dates from file times), a date format that sets the locale, or an
  article dated in the future while ``WITH_FUTURE_DATES`` is off (a draft only until that moment).

An object holds the build's settings and context: they are pickled as references (`persistent_id`)
and are this build's when the object is loaded. The digest of its body is stored with it: the render cache
and the memos key on it, and hashing every body again took longer than loading the objects.
"""
from __future__ import annotations

import datetime
import hashlib
import io
import logging
import os
import pickle
import weakref
from pathlib import Path

from pelican import signals
from pelican.contents import Article

from . import incremental
from .memo import known_digest, text_digest
from .reader_cache import as_scanned, reader_key

KIND = "objects"          # the pack (islet.build.packs) and the manifest entry of this cache
FORMAT = "objects-2"      # bump when what an entry holds changes
DIGEST = 20               # an entry: the digest of the object's body (islet.build.memo.text_digest), its pickle


class _Logged(logging.Handler):
    """Counts the warnings logged while Pelican reads: an object whose making warned is not cached."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record):
        self.count += 1


_logged = _Logged()


def usable(settings: dict, kind: str, own=()) -> bool:
    """Whether objects of this generator ("article" or "page") may come from the cache in this build (`own`:
    islet's receivers of ``content_object_init``, which only note what they see)."""
    if incremental.session is None or settings.get("DEFAULT_DATE") == "fs":
        return False
    formats = [settings.get("DEFAULT_DATE_FORMAT"), *(settings.get("DATE_FORMATS") or {}).values()]
    if any(isinstance(f, tuple) for f in formats):            # Pelican sets the locale as it makes the object
        return False
    listened = (getattr(signals, f"{kind}_generator_{name}") for name in ("preread", "context"))
    return not any(signal.receivers for signal in listened) and only(signals.content_object_init, own)


def only(signal, allowed) -> bool:
    """Whether every receiver of `signal` is one of `allowed` (blinker keeps most behind weak references)."""
    for receiver in signal.receivers.values():
        target = receiver() if isinstance(receiver, weakref.ref) else receiver
        if target is not None and target not in allowed:
            return False
    return True


def attach(generator, kind: str, extensions, own=()) -> None:
    """Pelican's ``*_generator_init`` signal: the generator takes the objects of unchanged sources (with
    `extensions`, islet's reader's) from the cache, and stores those it makes. `own`: see `usable`."""
    if not usable(generator.settings, kind, own):
        return
    session = incremental.session
    pack, used = session.packs[KIND], session.used[KIND]
    shared = {id(generator.settings): "settings", id(generator.context): "context"}
    by_name = {"settings": generator.settings, "context": generator.context}
    making: dict[str, tuple[str, int]] = {}        # source -> its key, the warnings logged before it was read
    suffixes = tuple(f".{e}" for e in extensions)
    for logger in (logging.getLogger("pelican"), logging.getLogger()):
        if _logged not in logger.handlers:
            logger.addHandler(_logged)
    if detach not in session.cleanups:
        session.cleanups.append(detach)

    def path_of(name: str) -> str:
        return os.path.abspath(os.path.join(generator.path, name))

    def get_cached_data(name, default=None):
        path = path_of(name)
        if not path.endswith(suffixes):
            return default
        try:
            source_key = reader_key(Path(path))
        except OSError:
            return default
        key = _key(source_key, kind)
        found = _load(pack.get(key), by_name)
        if found is None:
            making[name] = key, _logged.count
            return default
        used.add(key)
        session.used["reader"].add(source_key)       # kept: preparse looks there for what needs parsing
        session.counts["objects_cached"] += 1
        signals.content_object_init.send(found)
        return found

    def cache_data(name, content):
        key, before = making.pop(name, (None, 0))
        if key is None:
            return
        for wrapper in (getattr(content, "category", None), *getattr(content, "tags", ()),
                        *getattr(content, "authors", ())):
            getattr(wrapper, "slug", None)     # worked out now (and kept) rather than by each build that loads it
        if _logged.count != before or dated_ahead(content) is not None or not as_scanned(path_of(name)):
            return                           # (a tag without a slug warns)
        blob = _dump(content, shared)
        if blob is not None:
            pack.put(key, blob)
            used.add(key)

    generator.get_cached_data, generator.cache_data = get_cached_data, cache_data


def detach() -> None:
    """The build is over (incremental.Session.close runs this): stop counting warnings."""
    for logger in (logging.getLogger("pelican"), logging.getLogger()):
        if _logged in logger.handlers:
            logger.removeHandler(_logged)


def _key(source_key: str, kind: str) -> str:
    return hashlib.blake2b(f"{FORMAT}\0{kind}\0{source_key}".encode(), digest_size=20).hexdigest()


def dated_ahead(content) -> float | None:
    """When an article Pelican made a draft because its date is still to come is published (POSIX time), or
    None. Its object is made again by each build until then, and a build with no change is not skipped
    after then (islet.build.fingerprint.State.until)."""
    date = getattr(content, "date", None)
    if (not isinstance(content, Article) or content.settings.get("WITH_FUTURE_DATES", True)
            or not isinstance(date, datetime.datetime)):
        return None
    now = datetime.datetime.now(datetime.UTC) if date.tzinfo else datetime.datetime.now()
    return date.timestamp() if now < date < now.max.replace(tzinfo=now.tzinfo) else None


class _Pickler(pickle.Pickler):
    def __init__(self, file, shared: dict[int, str]):
        super().__init__(file, protocol=5)
        self.shared = shared

    def persistent_id(self, obj):
        return self.shared.get(id(obj))


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, by_name: dict[str, object]):
        super().__init__(file)
        self.by_name = by_name

    def persistent_load(self, name):
        return self.by_name[name]


def _dump(content, shared: dict[int, str]) -> bytes | None:
    body = getattr(content, "_content", None)
    buffer = io.BytesIO()
    buffer.write(text_digest(body) if isinstance(body, str) else bytes(DIGEST))
    try:
        _Pickler(buffer, shared).dump(content)
    except Exception:            # something of a plugin's that pickle cannot take: made again next time
        return None
    return buffer.getvalue()


def _load(blob: bytes | None, by_name: dict[str, object]):
    if blob is None:
        return None
    try:
        found = _Unpickler(io.BytesIO(memoryview(blob)[DIGEST:]), by_name).load()
    except Exception:            # an entry of an older Pelican or plugin: made again
        return None
    body = getattr(found, "_content", None)
    if isinstance(body, str) and any(blob[:DIGEST]):
        known_digest(body, bytes(blob[:DIGEST]))
    return found
