// islet's hydration loader. A page with widgets imports it once its first contentful paint is on
// screen (islet.hydrate.BOOTSTRAP), so neither it nor any module competes with that paint.
// It knows no widget names: each island in the page says which module to load
// (data-module, relative to this file), when (data-trigger) and with what props
// (a JSON <script> inside it). Keep it tiny: it counts against every page's budget.

// This file lives in <site>/widgets/, so the site root is one level up.
const site = new URL('..', import.meta.url).href;

// trigger name -> (island, argument) -> promise that resolves when it is time to mount
const when = {
  load: () => Promise.resolve(),
  idle: () => new Promise((go) =>
    (self.requestIdleCallback ? requestIdleCallback(go, { timeout: 2000 }) : setTimeout(go, 200))),
  visible: (el) => new Promise((go) => {
    const seen = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) { seen.disconnect(); go(); }
    });
    seen.observe(el);
  }),
  media: (el, query) => new Promise((go) => {
    const list = matchMedia(query);
    if (list.matches) go();
    else list.addEventListener('change', (e) => e.matches && go());
  }),
  // Also at once when the reader got there first: the loader starts after the first paint, and a tap
  // or a hover before that has already focused or entered the island.
  interaction: (el) => new Promise((go) => {
    if (el.matches(':focus-within,:hover')) return go();
    const kinds = ['focusin', 'pointerenter', 'pointerdown', 'touchstart'];
    const start = () => { kinds.forEach((k) => el.removeEventListener(k, start)); go(); };
    kinds.forEach((k) => el.addEventListener(k, start, { passive: true }));
  }),
};

// A new task: evaluating modules and mounting each island happen in tasks of their own, so none of
// them holds the main thread long (a long task after the first paint is blocking time to a reader).
const yieldTask = () => new Promise((go) => setTimeout(go));

// The page's first DOM work (Chromium readies the DOM bindings on first use) gets a task of its
// own, apart from compiling and evaluating this module.
await yieldTask();

for (const el of document.querySelectorAll('[data-islet]')) {
  const name = el.dataset.islet;
  const [trigger, ...rest] = (el.dataset.trigger || 'idle').split(' ');
  (when[trigger] || when.idle)(el, rest.join(' '))
    .then(() => import(new URL(el.dataset.module, import.meta.url)))
    .then(async (module) => {
      await yieldTask();
      const data = el.querySelector(':scope > script[type="application/json"]');
      // __pyjson__ (islet/islands/runtime_fixes.py): JSON objects become Python dicts, as at build time.
      module.mount(el, module.__pyjson__(data ? JSON.parse(data.textContent) : {}), site);
      el.dataset.mounted = '';
    })
    .catch((error) => console.error(`islet: widget "${name}" could not start`, error));
}
