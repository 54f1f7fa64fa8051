// The emulator dashboard: renders the snapshots streamed by /_emulator/ui/events and drives the
// control API. Everything shown is set as text (textContent, never HTML): journal entries hold
// whatever clients sent.
"use strict";

(function () {
  const config = JSON.parse(document.getElementById("config").textContent);
  const TOKEN_KEY = "emulator-control-token";
  const JOURNAL_ROWS = 50;
  const PAGE_SIZE = 100;
  const RECONNECT_MS = 1000;

  // A control token given once as ?token= is kept for this tab and taken out of the address bar.
  const query = new URLSearchParams(location.search);
  if (query.has("token")) {
    sessionStorage.setItem(TOKEN_KEY, query.get("token"));
    query.delete("token");
    const rest = query.toString();
    history.replaceState(null, "", location.pathname + (rest ? "?" + rest : ""));
  }

  function headers(withBody) {
    const result = { Accept: "application/json" };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) result.Authorization = "Bearer " + token;
    if (withBody) result["Content-Type"] = "application/json";
    return result;
  }

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined) node.setAttribute(name, String(value));
    }
    for (const child of children) {
      node.append(child instanceof Node ? child : document.createTextNode(child === null || child === undefined ? "" : String(child)));
    }
    return node;
  }

  function show(message) {
    const box = document.getElementById("message");
    box.textContent = message;
    box.hidden = !message;
  }

  // One control API call; its error message (the API's `{"error": {...}}`) becomes an exception.
  async function call(method, path, body) {
    const response = await fetch(config.api + path, {
      method: method,
      headers: headers(body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (error) {
      data = null;
    }
    if (!response.ok) {
      const reason = data && data.error ? data.error.message : text;
      throw new Error(method + " " + path + ": " + response.status + " " + reason);
    }
    return data;
  }

  // A user's action clears the last error shown; background refreshes only report theirs.
  async function act(work) {
    try {
      await work();
      show("");
    } catch (error) {
      show(error.message);
    }
  }

  function background(work) {
    work().catch((error) => show(error.message));
  }

  function lookup(item, path) {
    let value = item;
    for (const key of path.split(".")) {
      if (value === null || typeof value !== "object") return undefined;
      value = value[key];
    }
    return value;
  }

  // -- services ---------------------------------------------------------------------------------

  const offsets = {};  // service -> offset of the page shown (0: the snapshot's own page)

  function mainCollection(summary) {
    if (!summary || typeof summary !== "object") return null;
    for (const key of Object.keys(summary)) {
      if (summary[key + "_page"] && typeof summary[key] === "object") return key;
    }
    return null;
  }

  function progressCell(item, progress) {
    if (!progress) return el("td");
    const total = Number(lookup(item, progress.total)) || 0;
    const done = progress.done.reduce((sum, path) => sum + (Number(lookup(item, path)) || 0), 0);
    const bar = el("progress", { max: Math.max(total, 1), value: Math.min(done, Math.max(total, 1)) });
    const percent = total > 0 ? Math.round((100 * Math.min(done, total)) / total) : 0;
    return el("td", { class: "progress", "data-done": done, "data-total": total },
      bar, " " + done + " / " + total + " " + progress.unit + " (" + percent + "%)");
  }

  function renderService(name, summary) {
    const section = document.querySelector('section.service[data-service="' + CSS.escape(name) + '"]');
    if (!section) return;
    // What the reader unfolded stays unfolded when the section is drawn again.
    const unfolded = new Set(Array.from(section.querySelectorAll("details[open]"), (node) => node.dataset.key));
    const progress = config.services[name];
    const key = mainCollection(summary);
    const parts = [el("h3", {}, name)];
    if (key) {
      const items = summary[key];
      const shown = summary[key + "_page"];
      const rows = Object.entries(items).map(([id, item]) => {
        const status = progress ? lookup(item, progress.status) : "";
        return el("tr", { "data-id": id, "data-status": status },
          el("td", { class: "id" }, id),
          el("td", { class: "status" }, status),
          progressCell(item, progress),
          el("td", {}, folded("item:" + id, "document", item)));
      });
      parts.push(el("table", { class: "items", "data-collection": key },
        el("thead", {}, el("tr", {}, el("th", {}, "Id"), el("th", {}, "Status"), el("th", {}, "Progress"), el("th", {}, ""))),
        el("tbody", {}, ...rows)));
      if (!rows.length) parts.push(el("p", { class: "empty" }, "no " + key + " yet"));
      parts.push(pager(name, shown));
    }
    const rest = Object.fromEntries(Object.entries(summary || {}).filter(([k]) => k !== key && k !== key + "_page"));
    if (Object.keys(rest).length) {
      parts.push(folded("more", "more state", rest));
    }
    section.replaceChildren(...parts);
    for (const node of section.querySelectorAll("details")) node.open = unfolded.has(node.dataset.key);
  }

  function folded(key, title, value) {
    return el("details", { "data-key": key }, el("summary", {}, title), el("pre", {}, JSON.stringify(value, null, 2)));
  }

  function pager(name, shown) {
    const offset = shown.offset;
    const previous = el("button", { type: "button", class: "previous" }, "previous");
    const next = el("button", { type: "button", class: "next" }, "next");
    previous.disabled = offset === 0;
    next.disabled = shown.next === null;
    previous.addEventListener("click", () => turn(name, Math.max(offset - PAGE_SIZE, 0)));
    next.addEventListener("click", () => turn(name, shown.next));
    const last = offset + Math.min(PAGE_SIZE, shown.total - offset);
    return el("div", { class: "pager" }, previous, " " + (shown.total ? offset + 1 : 0) + "-" + last + " of " + shown.total + " ", next);
  }

  function turn(name, offset) {
    offsets[name] = offset;
    act(() => refreshPage(name));
  }

  // A page other than the first comes from GET /state, again on every snapshot.
  async function refreshPage(name) {
    const params = new URLSearchParams({ service: name, limit: PAGE_SIZE, offset: offsets[name] || 0 });
    const state = await call("GET", "/state?" + params);
    renderService(name, state.services[name]);
  }

  // -- overview ---------------------------------------------------------------------------------

  function setText(id, value) {
    document.getElementById(id).textContent = value === null || value === undefined || value === "" ? "-" : String(value);
  }

  function renderClock(clock) {
    setText("clock-now", clock.now);
    setText("clock-mode", clock.mode + (clock.speed ? ", speed " + clock.speed : ""));
  }

  document.getElementById("advance-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const seconds = Number(document.getElementById("advance-seconds").value);
    act(async () => renderClock(await call("POST", "/clock", { advance: seconds })));
  });

  document.getElementById("set-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const when = document.getElementById("set-time").value.trim();
    act(async () => renderClock(await call("POST", "/clock", { set: when })));
  });

  // -- fault rules ------------------------------------------------------------------------------

  function trigger(rule) {
    if (rule.nth) return "call " + rule.nth;
    if (rule.first) return "first " + rule.first;
    if (rule.probability !== undefined) return "p=" + rule.probability;
    return "every call";
  }

  function action(rule) {
    const a = rule.action || {};
    if (a.drop) return "drop";
    const parts = [];
    if (a.status) parts.push(String(a.status));
    if (a.message) parts.push(a.message);
    if (a.delay) parts.push("delay " + a.delay + " s");
    return parts.join(" ") || JSON.stringify(a);
  }

  function renderFaults(rules) {
    const rows = rules.map((rule) => {
      const remove = el("button", { type: "button", class: "remove" }, "Remove");
      remove.addEventListener("click", () => act(() => call("DELETE", "/faults/" + encodeURIComponent(rule.id))));
      return el("tr", { "data-id": rule.id, class: rule.fired ? "fired" : null },
        el("td", { class: "id" }, rule.id),
        el("td", {}, rule.service || "any"),
        el("td", {}, Array.isArray(rule.method) ? rule.method.join(", ") : rule.method || "any"),
        el("td", {}, rule.path || "any"),
        el("td", {}, trigger(rule)),
        el("td", {}, action(rule)),
        el("td", { class: "matched" }, rule.matched),
        el("td", { class: "fired-count" }, rule.fired ? "fired: " + rule.fired : "not yet"),
        el("td", {}, remove));
    });
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 9, class: "empty" }, "no fault rules in force")));
    document.querySelector("#fault-table tbody").replaceChildren(...rows);
  }

  document.getElementById("fault-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const rule = { action: { status: Number(form.get("status")) } };
    for (const field of ["id", "service", "path"]) {
      if (form.get(field)) rule[field] = form.get(field);
    }
    if (form.get("method")) rule.method = form.get("method").toUpperCase();
    if (form.get("first")) rule.first = Number(form.get("first"));
    if (form.get("message")) rule.action.message = form.get("message");
    act(() => call("POST", "/faults", rule));
  });

  document.getElementById("clear-faults").addEventListener("click", () => act(() => call("DELETE", "/faults")));

  // -- journal ----------------------------------------------------------------------------------

  let entries = [];

  async function refreshJournal() {
    const form = new FormData(document.getElementById("journal-form"));
    const params = new URLSearchParams({ limit: JOURNAL_ROWS });
    for (const field of ["service", "method", "path", "status"]) {
      if (form.get(field)) params.set(field, form.get(field));
    }
    entries = (await call("GET", "/requests?" + params)).reverse();
    const rows = entries.map((entry) => {
      const row = el("tr", { "data-id": entry.id, class: entry.fault ? "fired" : null, tabindex: 0 },
        el("td", {}, entry.id),
        el("td", {}, entry.time),
        el("td", {}, entry.direction === "outbound" ? "out" : "in"),
        el("td", {}, entry.service || ""),
        el("td", {}, entry.method),
        el("td", { class: "path" }, entry.direction === "outbound" ? entry.url : entry.path),
        el("td", { class: "status" }, entry.status === null ? entry.error || "" : entry.status),
        el("td", { class: "fault" }, entry.fault || ""));
      row.addEventListener("click", () => openEntry(entry));
      row.addEventListener("keydown", (event) => { if (event.key === "Enter") openEntry(entry); });
      return row;
    });
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: 8, class: "empty" }, "no requests")));
    document.querySelector("#journal-table tbody").replaceChildren(...rows);
  }

  function openEntry(entry) {
    document.getElementById("entry").hidden = false;
    const target = entry.direction === "outbound" ? entry.url : entry.path + (entry.query ? "?" + entry.query : "");
    document.getElementById("entry-title").textContent = "#" + entry.id + " " + entry.method + " " + target;
    const facts = [["Time", entry.time], ["Service", entry.service], ["Direction", entry.direction],
      ["Status", entry.status], ["Error", entry.error], ["Fault rule", entry.fault], ["Duration", entry.duration_ms + " ms"]];
    document.getElementById("entry-facts").replaceChildren(...facts.flatMap(([name, value]) =>
      [el("dt", {}, name), el("dd", {}, value === null || value === undefined ? "-" : value)]));
    document.querySelector("#entry-headers tbody").replaceChildren(...Object.entries(entry.headers).map(([name, value]) =>
      el("tr", {}, el("th", {}, name), el("td", {}, value))));
    document.getElementById("entry-body").textContent = entry.body || "(none)";
    document.getElementById("entry-sent-title").hidden = !entry.sent;
    document.getElementById("entry-sent").hidden = !entry.sent;
    document.getElementById("entry-sent").textContent = entry.sent || "";
  }

  document.getElementById("journal-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act(refreshJournal);
  });

  // -- the stream -------------------------------------------------------------------------------

  let journalMark = null;

  function render(snapshot) {
    const scenario = snapshot.scenario;
    setText("scenario-name", scenario.name);
    setText("scenario-description", scenario.description);
    setText("scenario-seed", scenario.seed);
    setText("pending-events", snapshot.pending_events);
    renderClock(snapshot.clock);
    for (const [name, summary] of Object.entries(snapshot.services)) {
      if (offsets[name]) background(() => refreshPage(name));
      else renderService(name, summary);
    }
    renderFaults(snapshot.faults);
    const mark = JSON.stringify(snapshot.journal);
    if (mark !== journalMark) {
      journalMark = mark;
      background(refreshJournal);
    }
  }

  function connection(state, text) {
    const badge = document.getElementById("connection");
    badge.dataset.state = state;
    badge.textContent = text;
  }

  // Server-Sent Events read with fetch rather than EventSource, which cannot send the token.
  async function listen() {
    for (;;) {
      try {
        const response = await fetch(config.events + "?limit=" + PAGE_SIZE, { headers: headers(false), cache: "no-store" });
        if (!response.ok) throw new Error("the event stream answered " + response.status);
        connection("live", "live");
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        let received = false;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = event.split("\n").filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trim()).join("\n");
            if (data) {
              received = true;
              render(JSON.parse(data));
            }
          }
        }
        if (received) continue;  // the server ended a stream that served (they last a while): open the next
      } catch (error) {
        show(error.message);
      }
      connection("lost", "reconnecting…");
      await new Promise((resume) => setTimeout(resume, RECONNECT_MS));
    }
  }

  for (const select of document.querySelectorAll('select[name="service"]')) {
    for (const name of Object.keys(config.services)) select.append(el("option", { value: name }, name));
  }
  listen();
})();
