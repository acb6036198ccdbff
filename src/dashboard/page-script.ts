/**
 * The page's script: plain modern JavaScript, inlined in a `<script>` element the
 * Content-Security-Policy names by hash. It builds every card with `textContent` and `dataset`,
 * never with HTML, so a breaker's name is always text. Every URL it uses is relative to the page,
 * so the dashboard works under any mount path. The control token lives in a variable only.
 * (Written without template literals: this file is one itself.)
 */
export const PAGE_SCRIPT = String.raw`
"use strict";
(function () {
  var HISTORY_MS = 3 * 60 * 1000;
  var SAMPLE_MS = 1000;
  var ACTIONS = ["open", "close", "reset", "force-open", "disable", "enable"];
  var SVG_NS = "http://www.w3.org/2000/svg";
  var SPARK_WIDTH = 300;
  var SPARK_HEIGHT = 50;

  var path = location.pathname.endsWith("/") ? location.pathname : location.pathname + "/";
  var base = new URL(path, location.href);
  var controls = document.body.dataset.controls === "on";
  var cardsEl = document.getElementById("cards");
  var emptyEl = document.getElementById("empty");
  var filterEl = document.getElementById("filter");
  var tokenEl = document.getElementById("token");
  var noticeEl = document.getElementById("notice");
  var connectionEl = document.getElementById("connection");
  var summaryEl = document.getElementById("summary");
  var cards = new Map();
  var token = "";
  var received = false;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(tag, attributes) {
    var node = document.createElementNS(SVG_NS, tag);
    for (var key in attributes) node.setAttribute(key, attributes[key]);
    return node;
  }

  function formatDuration(ms) {
    var seconds = Math.max(0, Math.floor(ms / 1000));
    if (seconds < 60) return seconds + " s";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min " + String(seconds % 60).padStart(2, "0") + " s";
    var hours = Math.floor(minutes / 60);
    if (hours < 48) return hours + " h " + String(minutes % 60).padStart(2, "0") + " min";
    return Math.floor(hours / 24) + " d " + (hours % 24) + " h";
  }

  function formatRate(perSecond) {
    if (perSecond >= 100) return Math.round(perSecond) + "/s";
    if (perSecond >= 10) return perSecond.toFixed(1) + "/s";
    return perSecond.toFixed(2) + "/s";
  }

  function formatPercent(value) {
    return (Math.round(value * 10) / 10).toFixed(1) + " %";
  }

  function notice(text, kind) {
    noticeEl.textContent = text;
    noticeEl.dataset.kind = kind;
  }

  function createCard(name) {
    var root = el("article", "card");
    root.dataset.breaker = name;
    var head = el("header", "card-head");
    var title = el("h2", "", name);
    title.title = name;
    var badge = el("span", "badge");
    head.append(title, badge);

    var facts = el("dl", "facts");
    var fields = {};
    [
      ["mode", "Mode"],
      ["failCounter", "Failures in a row"],
      ["window", "Window"],
      ["inState", "In state for"],
      ["trial", "Next trial"],
    ].forEach(function (entry) {
      var value = el("dd");
      value.dataset.field = entry[0];
      facts.append(el("dt", "", entry[1]), value);
      fields[entry[0]] = value;
    });

    var rates = el("div", "rates");
    var rateCalls = el("span", "rate rate-calls");
    var rateFailures = el("span", "rate rate-failures");
    var rateRejections = el("span", "rate rate-rejections");
    rates.append(rateCalls, rateFailures, rateRejections);

    var spark = svg("svg", {
      class: "spark",
      viewBox: "0 0 " + SPARK_WIDTH + " " + SPARK_HEIGHT,
      preserveAspectRatio: "none",
      role: "img",
    });
    var lines = {
      calls: svg("polyline", { class: "line-calls", points: "" }),
      failures: svg("polyline", { class: "line-failures", points: "" }),
      rejections: svg("polyline", { class: "line-rejections", points: "" }),
    };
    spark.append(lines.calls, lines.failures, lines.rejections);
    var caption = el("div", "spark-caption");
    var captionSpan = el("span", "", "last 3 min");
    var captionMax = el("span");
    caption.append(captionSpan, captionMax);

    root.append(head, facts, rates, spark, caption);
    var buttons = [];
    if (controls) {
      var actions = el("div", "actions");
      ACTIONS.forEach(function (action) {
        var button = el("button", "", action);
        button.type = "button";
        button.dataset.action = action;
        button.addEventListener("click", function () {
          control(name, action, button);
        });
        buttons.push(button);
        actions.append(button);
      });
      root.append(actions);
    }
    return {
      name: name,
      root: root,
      badge: badge,
      fields: fields,
      rateCalls: rateCalls,
      rateFailures: rateFailures,
      rateRejections: rateRejections,
      spark: spark,
      lines: lines,
      captionMax: captionMax,
      snapshot: undefined,
      receivedAt: 0,
      stateSince: 0,
      stateSinceKnown: false,
      sample: undefined,
      history: [],
    };
  }

  // The server's clock now, from the card's last snapshot: retryAt and openedAt are on it.
  function serverNow(card) {
    return card.snapshot.snapshotAt + (performance.now() - card.receivedAt);
  }

  function failuresOf(stats) {
    return stats.failures + stats.timeouts;
  }

  function record(card, breaker) {
    var stats = breaker.stats;
    if (!stats) return;
    var sample = {
      at: breaker.snapshotAt,
      since: stats.since,
      calls: stats.calls,
      failures: failuresOf(stats),
      rejections: stats.rejections,
    };
    var last = card.sample;
    if (!last || last.since !== sample.since || sample.calls < last.calls) {
      card.sample = sample;
      card.history = [];
      return;
    }
    if (sample.at - last.at < SAMPLE_MS) return;
    var seconds = (sample.at - last.at) / 1000;
    card.history.push({
      at: sample.at,
      calls: (sample.calls - last.calls) / seconds,
      failures: (sample.failures - last.failures) / seconds,
      rejections: (sample.rejections - last.rejections) / seconds,
    });
    while (card.history.length > 0 && card.history[0].at < sample.at - HISTORY_MS) {
      card.history.shift();
    }
    card.sample = sample;
  }

  function drawSpark(card) {
    var history = card.history;
    var latest = history.length > 0 ? history[history.length - 1] : undefined;
    if (!latest) {
      card.rateCalls.textContent = "calls –";
      card.rateFailures.textContent = "failures –";
      card.rateRejections.textContent = "rejected –";
      card.captionMax.textContent = "collecting…";
      ["calls", "failures", "rejections"].forEach(function (key) {
        card.lines[key].setAttribute("points", "");
      });
      return;
    }
    card.rateCalls.textContent = "calls " + formatRate(latest.calls);
    card.rateFailures.textContent = "failures " + formatRate(latest.failures);
    card.rateRejections.textContent = "rejected " + formatRate(latest.rejections);
    var max = 1;
    history.forEach(function (point) {
      max = Math.max(max, point.calls, point.failures, point.rejections);
    });
    card.captionMax.textContent = "peak " + formatRate(max);
    var start = latest.at - HISTORY_MS;
    ["calls", "failures", "rejections"].forEach(function (key) {
      var points = history.map(function (point) {
        var x = ((point.at - start) / HISTORY_MS) * SPARK_WIDTH;
        var y = SPARK_HEIGHT - 2 - (point[key] / max) * (SPARK_HEIGHT - 4);
        return x.toFixed(1) + "," + y.toFixed(1);
      });
      card.lines[key].setAttribute("points", points.join(" "));
    });
  }

  function apply(card, breaker) {
    var previous = card.snapshot;
    var changed =
      !previous ||
      previous.state !== breaker.state ||
      (previous.stats && breaker.stats && previous.stats.stateChanges !== breaker.stats.stateChanges);
    card.snapshot = breaker;
    card.receivedAt = performance.now();
    if (breaker.state === "open" && typeof breaker.openedAt === "number") {
      card.stateSince = breaker.openedAt;
      card.stateSinceKnown = true;
    } else if (changed) {
      card.stateSince = breaker.snapshotAt;
      // Seen changing while watched: exact. First seen: it has been so at least since then.
      card.stateSinceKnown = Boolean(previous);
    }
    var root = card.root;
    root.dataset.state = breaker.state;
    root.dataset.mode = breaker.mode || "enabled";
    var label = breaker.state;
    if (breaker.mode === "forced-open") label = "forced open";
    else if (breaker.mode === "disabled") label = breaker.state + " · disabled";
    card.badge.textContent = label;
    card.fields.mode.textContent = breaker.mode || "enabled";
    card.fields.failCounter.textContent = String(breaker.failCounter || 0);
    var metrics = breaker.metrics;
    if (breaker.window && metrics) {
      card.fields.window.textContent =
        "failures " + formatPercent(metrics.failureRate) + ", slow " +
        formatPercent(metrics.slowCallRate) + " of " + metrics.calls + " calls";
    } else {
      card.fields.window.textContent = "none (consecutive count)";
    }
    record(card, breaker);
    drawSpark(card);
    tickCard(card);
  }

  // The texts that move with time alone: time in state and the countdown to the trial.
  function tickCard(card) {
    var breaker = card.snapshot;
    var now = serverNow(card);
    card.fields.inState.textContent =
      (card.stateSinceKnown ? "" : "≥ ") + formatDuration(now - card.stateSince);
    var trial = card.fields.trial;
    if (breaker.mode === "forced-open") {
      trial.textContent = "none while forced open (enable to resume)";
    } else if (breaker.mode === "disabled") {
      trial.textContent = "disabled: every call passes";
    } else if (breaker.state === "half-open") {
      trial.textContent = "trial calls running";
    } else if (breaker.state !== "open") {
      trial.textContent = "–";
    } else if (breaker.nextCallIsTrial || typeof breaker.retryAt !== "number" || breaker.retryAt <= now) {
      trial.textContent = "next call is a trial";
    } else {
      trial.textContent = "in " + Math.ceil((breaker.retryAt - now) / 1000) + " s";
    }
  }

  function applyFilter() {
    var query = filterEl.value.trim().toLowerCase();
    var shown = 0;
    cards.forEach(function (card) {
      var visible = query === "" || card.name.toLowerCase().includes(query);
      card.root.hidden = !visible;
      if (visible) shown += 1;
    });
    emptyEl.hidden = !received || shown > 0;
    emptyEl.textContent = cards.size === 0 ? "No breakers in this monitor." : "No breaker matches the filter.";
  }

  function summarize() {
    var counts = { closed: 0, "half-open": 0, open: 0 };
    cards.forEach(function (card) {
      counts[card.snapshot.state] = (counts[card.snapshot.state] || 0) + 1;
    });
    summaryEl.textContent =
      cards.size + " breakers: " + counts.closed + " closed, " + counts["half-open"] +
      " half-open, " + counts.open + " open";
  }

  function update(breakers) {
    received = true;
    var seen = new Set();
    breakers.forEach(function (breaker) {
      seen.add(breaker.name);
      var card = cards.get(breaker.name);
      if (!card) {
        card = createCard(breaker.name);
        cards.set(breaker.name, card);
        cardsEl.append(card.root);
      }
      apply(card, breaker);
    });
    cards.forEach(function (card, name) {
      if (!seen.has(name)) {
        card.root.remove();
        cards.delete(name);
      }
    });
    summarize();
    applyFilter();
  }

  function control(name, action, button) {
    var headers = {};
    if (token !== "") headers.Authorization = "Bearer " + token;
    var url = new URL("breakers/" + encodeURIComponent(name) + "/" + action, base);
    button.disabled = true;
    fetch(url, { method: "POST", headers: headers, credentials: "omit", cache: "no-store" })
      .then(function (response) {
        return response.json().then(
          function (body) {
            return { response: response, body: body };
          },
          function () {
            return { response: response, body: {} };
          },
        );
      })
      .then(function (answer) {
        if (answer.response.ok) {
          notice(name + ": " + action + " done", "ok");
          var card = cards.get(name);
          if (card && answer.body.breaker) apply(card, answer.body.breaker);
          summarize();
        } else {
          var reason = answer.body.error || answer.response.statusText;
          notice(name + ": " + action + " refused (" + answer.response.status + ": " + reason + ")", "error");
        }
      })
      .catch(function (error) {
        notice(name + ": " + action + " failed (" + error.message + ")", "error");
      })
      .finally(function () {
        button.disabled = false;
      });
  }

  filterEl.addEventListener("input", applyFilter);
  if (tokenEl) {
    tokenEl.addEventListener("input", function () {
      token = tokenEl.value;
    });
  }

  function setConnection(status, text) {
    connectionEl.dataset.status = status;
    connectionEl.textContent = text;
  }

  var events = new EventSource(new URL("events", base));
  events.addEventListener("open", function () {
    setConnection("live", "live");
  });
  events.addEventListener("error", function () {
    setConnection("reconnecting", "reconnecting…");
  });
  events.addEventListener("message", function (event) {
    var breakers;
    try {
      breakers = JSON.parse(event.data);
    } catch (error) {
      notice("could not read an update (" + error.message + ")", "error");
      return;
    }
    update(breakers);
  });

  setInterval(function () {
    cards.forEach(tickCard);
  }, 1000);
})();
`;
