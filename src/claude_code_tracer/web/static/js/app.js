// claude-code-tracer dashboard: local times, charts, keyboard navigation, theme, live updates.
// Pages work without it; it only makes them nicer. No inline code anywhere (strict CSP).
(function () {
  "use strict";

  var root = document.documentElement;
  var body = document.body;

  // ---------------------------------------------------------------------------------------
  // small helpers

  function $all(scope, selector) {
    return Array.prototype.slice.call((scope || document).querySelectorAll(selector));
  }

  function toast(message) {
    var box = document.getElementById("toast");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
    window.clearTimeout(toast.timer);
    toast.timer = window.setTimeout(function () {
      box.hidden = true;
    }, 4000);
  }

  function compact(n) {
    var v = Math.abs(n);
    var sign = n < 0 ? "-" : "";
    if (v < 999.5) return sign + Math.round(v);
    var units = [[1e3, "k"], [1e6, "M"], [1e9, "B"], [1e12, "T"]];
    for (var i = 0; i < units.length; i++) {
      var scaled = v / units[i][0];
      var text = scaled < 99.95 ? scaled.toFixed(1) : scaled.toFixed(0);
      if (parseFloat(text) < 1000 || i === units.length - 1) {
        return sign + text.replace(/\.0$/, "") + units[i][1];
      }
    }
    return String(n);
  }

  function money(n, digits) {
    if (n > 0 && n < 0.005 && !digits) return "<$0.01";
    return "$" + n.toLocaleString("en-US", {
      minimumFractionDigits: digits || 2,
      maximumFractionDigits: digits || 2,
    });
  }

  // ---------------------------------------------------------------------------------------
  // theme: auto (the system's), light or dark

  var THEMES = ["auto", "light", "dark"];
  var THEME_NAMES = { auto: "Auto", light: "Light", dark: "Dark" };
  var THEME_TITLES = {
    auto: "Theme: follows the system (click for light)",
    light: "Theme: light (click for dark)",
    dark: "Theme: dark (click to follow the system)",
  };

  function theme() {
    var t = root.getAttribute("data-theme");
    return t === "light" || t === "dark" ? t : "auto";
  }

  function showTheme() {
    var t = theme();
    $all(document, "[data-theme-toggle]").forEach(function (button) {
      button.setAttribute("title", THEME_TITLES[t]);
      button.setAttribute("aria-label", THEME_TITLES[t]);
      var label = button.querySelector(".theme-label");
      if (label) label.textContent = THEME_NAMES[t];
    });
  }

  function setTheme(t) {
    root.setAttribute("data-theme", t);
    try {
      if (t === "auto") window.localStorage.removeItem("cct-theme");
      else window.localStorage.setItem("cct-theme", t);
    } catch (e) {
      /* not remembered */
    }
    showTheme();
    Charts.restyle();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-theme-toggle]");
    if (!button) return;
    setTheme(THEMES[(THEMES.indexOf(theme()) + 1) % THEMES.length]);
  });
  if (window.matchMedia) {
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function () {
      Charts.restyle();
    });
  }

  // the server groups days and hours in the viewer's time zone
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("cct_tz=" + encodeURIComponent(zone)) === -1) {
      document.cookie =
        "cct_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=strict";
    }
  } catch (e) {
    /* the server's zone is used */
  }

  // ---------------------------------------------------------------------------------------
  // times: relative in lists, absolute in headers, all in the viewer's local zone

  var FMT_ABS = new Intl.DateTimeFormat(undefined, {
    day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
  });
  var FMT_ABS_S = new Intl.DateTimeFormat(undefined, {
    day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  var FMT_DATE = new Intl.DateTimeFormat(undefined, {
    day: "numeric", month: "short", year: "numeric",
  });
  var FMT_CLOCK = new Intl.DateTimeFormat(undefined, {
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });

  function relative(date) {
    var s = (Date.now() - date.getTime()) / 1000;
    if (s < 45) return "just now";
    if (s < 3600) return Math.max(1, Math.round(s / 60)) + " m ago";
    if (s < 86400) return Math.round(s / 3600) + " h ago";
    if (s < 30 * 86400) return Math.round(s / 86400) + " d ago";
    return FMT_DATE.format(date);
  }

  function formatTimes(scope) {
    $all(scope, "time[datetime][data-fmt]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date.getTime())) return;
      var kind = el.getAttribute("data-fmt");
      if (kind === "rel") {
        el.textContent = relative(date);
        el.title = FMT_ABS_S.format(date);
      } else if (kind === "abs") {
        el.textContent = FMT_ABS.format(date);
        el.title = FMT_ABS_S.format(date);
      } else if (kind === "abs-s") {
        el.textContent = FMT_ABS_S.format(date);
      } else if (kind === "clock") {
        el.textContent = FMT_CLOCK.format(date);
        el.title = FMT_ABS_S.format(date);
      }
    });
  }

  window.setInterval(function () {
    formatTimes(document);
  }, 60000);

  // ---------------------------------------------------------------------------------------
  // charts (Chart.js): stacked bars per day, exact values in tooltips, legend toggles series

  var probe = null;

  function cssColor(value) {
    if (!probe) {
      probe = document.createElement("span");
      probe.style.display = "none";
      body.appendChild(probe);
    }
    probe.style.color = "";
    probe.style.color = value;
    return window.getComputedStyle(probe).color;
  }

  function themeColors() {
    return {
      fg: cssColor("var(--fg)"),
      muted: cssColor("var(--muted)"),
      grid: cssColor("var(--border)"),
      surface: cssColor("var(--surface)"),
    };
  }

  function parseDay(iso) {
    var p = iso.split("-");
    return new Date(+p[0], +p[1] - 1, +p[2]);
  }

  var FMT_DAY = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
  var FMT_DAY_LONG = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
  });

  function chartData(spec) {
    return {
      labels: spec.labels,
      datasets: spec.datasets.map(function (ds) {
        var color = ds.color || cssColor("var(" + ds.colorVar + ")");
        return {
          label: ds.label,
          data: ds.data,
          backgroundColor: color,
          borderColor: color,
          borderWidth: 0,
          borderRadius: 2,
          maxBarThickness: 28,
          stack: "all",
        };
      }),
    };
  }

  function chartOptions(spec) {
    var c = themeColors();
    var isMoney = spec.unit === "money";
    var exact = function (v) {
      return isMoney ? money(v, 4) : Math.round(v).toLocaleString("en-US") + " tokens";
    };
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: {
          stacked: true,
          grid: { display: false },
          border: { color: c.grid },
          ticks: {
            color: c.muted,
            maxRotation: 0,
            autoSkip: true,
            autoSkipPadding: 14,
            callback: function (value, index) {
              return FMT_DAY.format(parseDay(spec.labels[index]));
            },
          },
        },
        y: {
          stacked: true,
          beginAtZero: true,
          grid: { color: c.grid },
          border: { display: false },
          ticks: {
            color: c.muted,
            maxTicksLimit: 6,
            callback: function (value) {
              return isMoney ? money(value) : compact(value);
            },
          },
        },
      },
      plugins: {
        legend: {
          position: "bottom",
          labels: { color: c.fg, boxWidth: 10, boxHeight: 10, padding: 14 },
        },
        tooltip: {
          filter: function (item) {
            return item.raw > 0;
          },
          callbacks: {
            title: function (items) {
              return items.length ? FMT_DAY_LONG.format(parseDay(spec.labels[items[0].dataIndex])) : "";
            },
            label: function (item) {
              return " " + item.dataset.label + ": " + exact(item.raw);
            },
            footer: function (items) {
              var total = 0;
              items.forEach(function (item) {
                total += item.raw;
              });
              return items.length > 1 ? "Total: " + exact(total) : "";
            },
          },
        },
      },
    };
  }

  var Charts = {
    canvases: function () {
      return $all(document, "canvas[data-chart]");
    },
    spec: function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-chart"));
      return source ? JSON.parse(source.textContent) : null;
    },
    init: function (scope) {
      if (!window.Chart) return;
      $all(scope, "canvas[data-chart]").forEach(function (canvas) {
        if (canvas.chart) return;
        var spec = Charts.spec(canvas);
        if (!spec) return;
        canvas.chart = new window.Chart(canvas, {
          type: "bar",
          data: chartData(spec),
          options: chartOptions(spec),
        });
      });
    },
    refresh: function () {
      Charts.canvases().forEach(function (canvas) {
        var spec = Charts.spec(canvas);
        if (!canvas.chart || !spec) return;
        var hidden = {};
        canvas.chart.data.datasets.forEach(function (ds, i) {
          hidden[ds.label] = !canvas.chart.isDatasetVisible(i);
        });
        canvas.chart.data = chartData(spec);
        canvas.chart.options = chartOptions(spec);
        canvas.chart.update("none");
        canvas.chart.data.datasets.forEach(function (ds, i) {
          if (hidden[ds.label]) canvas.chart.setDatasetVisibility(i, false);
        });
        canvas.chart.update("none");
      });
    },
    restyle: function () {
      Charts.refresh();
    },
  };

  // ---------------------------------------------------------------------------------------
  // keyboard: j/k move between timeline entries, o or Enter opens one, / searches

  var current = null;

  function entries() {
    return $all(document, ".timeline .entry");
  }

  function select(entry, scroll) {
    if (current) current.classList.remove("kb");
    current = entry;
    if (!entry) return;
    entry.classList.add("kb");
    entry.focus({ preventScroll: true });
    if (scroll) entry.scrollIntoView({ block: "nearest" });
  }

  function firstInView(list) {
    var top = 80;
    for (var i = 0; i < list.length; i++) {
      if (list[i].getBoundingClientRect().bottom > top) return i;
    }
    return list.length - 1;
  }

  function move(step) {
    var list = entries();
    if (!list.length) return;
    var index = current && document.body.contains(current) ? list.indexOf(current) : -1;
    var next = index < 0 ? firstInView(list) : index + step;
    if (next >= list.length) {
      var more = document.querySelector(".timeline .more");
      if (more) more.scrollIntoView({ block: "end" });
      return;
    }
    select(list[Math.max(0, next)], true);
  }

  function toggle(entry) {
    var folds = $all(entry, "details");
    if (!folds.length) return;
    var open = folds.some(function (d) {
      return !d.open;
    });
    folds.forEach(function (d) {
      d.open = open;
    });
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.metaKey || event.ctrlKey || event.altKey) return;
    var target = event.target;
    var typing = target.closest && target.closest("input, textarea, select, [contenteditable]");
    if (typing) {
      if (event.key === "Escape") target.blur();
      return;
    }
    if (event.key === "/") {
      // a page's own box first (a timeline's, a list's), else the header's
      var search =
        document.querySelector("[data-search]") || document.querySelector("[data-global-search]");
      if (search) {
        event.preventDefault();
        search.focus();
        search.select();
      }
      return;
    }
    if (event.key === "j" || event.key === "k") {
      if (!entries().length) return;
      event.preventDefault();
      move(event.key === "j" ? 1 : -1);
      return;
    }
    if (event.key === "o" || (event.key === "Enter" && target.classList.contains("entry"))) {
      if (!current || !document.body.contains(current)) return;
      event.preventDefault();
      toggle(current);
    }
  });

  document.addEventListener("click", function (event) {
    var entry = event.target.closest && event.target.closest(".timeline .entry");
    if (entry && entry !== current) {
      if (current) current.classList.remove("kb");
      current = entry;
      entry.classList.add("kb");
    }
  });

  // ---------------------------------------------------------------------------------------
  // htmx: format what it swaps in, say when something fails

  // empty fields stay out of the URL (and of the address bar it is pushed to)
  document.addEventListener("htmx:configRequest", function (event) {
    var params = event.detail.parameters;
    Object.keys(params).forEach(function (key) {
      if (params[key] === "") delete params[key];
    });
  });
  document.addEventListener("htmx:load", function (event) {
    formatTimes(event.detail.elt);
    Charts.init(event.detail.elt);
  });
  document.addEventListener("htmx:responseError", function (event) {
    toast("Could not load this part (" + event.detail.xhr.status + "). Try reloading the page.");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The server is not answering. Is cctracer still running?");
  });

  // ---------------------------------------------------------------------------------------
  // live updates: the server says what changed; open pages update in place

  var scope = body.getAttribute("data-scope");
  var running = false;
  var again = false;

  function regions(doc) {
    var fresh = {};
    $all(doc, "[data-live-region][id]").forEach(function (el) {
      fresh[el.id] = el;
    });
    var mine = $all(document, "[data-live-region][id]");
    var missing = Object.keys(fresh).some(function (id) {
      return !document.getElementById(id);
    });
    var main = document.getElementById("main");
    var freshMain = doc.getElementById("main");
    if (missing && main && freshMain && !document.getElementById("timeline")) {
      // the page changed shape (the first data arrived): take the new one
      main.innerHTML = freshMain.innerHTML;
      window.htmx && window.htmx.process(main);
      formatTimes(main);
      Charts.init(main);
      return;
    }
    mine.forEach(function (el) {
      var next = fresh[el.id];
      if (!next || el.liveSource === next.innerHTML) return;
      var active = document.activeElement;
      if (active && el.contains(active) && active.matches("input, select, textarea")) return;
      // rows the reader opened (a prompt's details) stay open in the new content
      var opened = $all(el, "[id] > details[open]").map(function (d) {
        return d.parentElement.id;
      });
      el.innerHTML = next.innerHTML;
      el.liveSource = next.innerHTML;
      opened.forEach(function (id) {
        var row = document.getElementById(id);
        var details = row && row.querySelector(":scope > details");
        if (details) details.open = true;
      });
      if (window.htmx) window.htmx.process(el);
      formatTimes(el);
    });
    Charts.refresh();
  }

  function atBottom() {
    return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 120;
  }

  function tail() {
    var timeline = document.getElementById("timeline");
    if (!timeline || timeline.querySelector(".more")) return Promise.resolve();
    var chunks = timeline.querySelectorAll(".chunk");
    var last = chunks[chunks.length - 1];
    if (!last) return Promise.resolve();
    var query = timeline.getAttribute("data-query");
    var url =
      timeline.getAttribute("data-base") + "/timeline?" + (query ? query + "&" : "") +
      "page=" + last.getAttribute("data-page") + "&dir=down";
    var follow = atBottom();
    return fetch(url, { cache: "no-store", credentials: "same-origin" })
      .then(function (res) {
        return res.ok ? res.text() : null;
      })
      .then(function (html) {
        if (html === null) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var chunk = doc.querySelector(".chunk");
        if (!chunk) return;
        var added = 0;
        $all(chunk, ".entry").forEach(function (entry) {
          var mine = document.getElementById(entry.id);
          if (!mine) {
            last.appendChild(entry);
            added += 1;
          } else if (
            mine.getAttribute("data-sig") !== entry.getAttribute("data-sig") &&
            !mine.querySelector("details[open]")
          ) {
            if (mine === current) current = entry;
            mine.replaceWith(entry);
          } else {
            return;
          }
          if (window.htmx) window.htmx.process(entry);
          formatTimes(entry);
        });
        var more = doc.querySelector(".more");
        if (more) {
          timeline.appendChild(more);
          if (window.htmx) window.htmx.process(more);
        }
        if (added) {
          var empty = timeline.querySelector(":scope > .empty");
          if (empty) empty.remove();
          if (follow) window.scrollTo({ top: document.documentElement.scrollHeight });
        }
      });
  }

  function update() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    var page = fetch(window.location.href, {
      cache: "no-store",
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (res) {
        return res.ok ? res.text() : null;
      })
      .then(function (html) {
        if (html !== null) regions(new DOMParser().parseFromString(html, "text/html"));
      });
    var jobs = [page];
    if (scope === "session" || scope === "agent") jobs.push(tail());
    Promise.all(jobs)
      .catch(function () {
        /* the next event tries again */
      })
      .then(function () {
        running = false;
        if (again) {
          again = false;
          update();
        }
      });
  }

  // the header gauge of the active 5-hour window: any response may move it, and time does
  function gauge() {
    var mine = document.getElementById("window-gauge");
    if (!mine) return;
    fetch("/windows/gauge", { cache: "no-store", credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (res) {
        return res.ok ? res.text() : null;
      })
      .then(function (html) {
        if (html === null) return;
        var next = new DOMParser().parseFromString(html, "text/html").getElementById("window-gauge");
        if (!next || next.outerHTML === mine.outerHTML) return;
        mine.replaceWith(next);
        formatTimes(next);
      })
      .catch(function () {
        /* the next event tries again */
      });
  }

  function concerns(event) {
    var project = body.getAttribute("data-project");
    var session = body.getAttribute("data-session");
    if (scope === "overview" || scope === "pricing" || scope === "windows") return true;
    if (scope === "project") return (event.projects || []).indexOf(project) >= 0;
    return (event.sessions || []).some(function (s) {
      return s.project === project && s.session === session;
    });
  }

  function listen() {
    if (!scope || !window.EventSource) return null;
    var source = new EventSource("/api/events");
    var greeted = false;
    source.addEventListener("hello", function () {
      if (greeted) update(); // reconnected: something may have been missed
      greeted = true;
    });
    source.addEventListener("change", function (message) {
      var event;
      try {
        event = JSON.parse(message.data);
      } catch (e) {
        return;
      }
      if (concerns(event)) update();
      gauge();
    });
    source.addEventListener("prices", function () {
      update();
    });
    window.addEventListener("pagehide", function () {
      source.close();
    });
    return source;
  }

  // ---------------------------------------------------------------------------------------
  // start

  $all(document, "[data-live-region][id]").forEach(function (el) {
    el.liveSource = el.innerHTML;
  });
  showTheme();
  formatTimes(document);
  Charts.init(document);
  if (window.location.hash) {
    var target = document.getElementById(window.location.hash.slice(1));
    if (target && target.classList.contains("entry")) select(target, false);
  }
  window.cctracer = { update: update, charts: Charts, source: listen(), gauge: gauge };
  if (document.getElementById("window-gauge")) window.setInterval(gauge, 60000);
})();
