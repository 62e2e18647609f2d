// The live proctoring dashboard (templates/proctoring/dashboard.html). Plain JS, no build step,
// no inline handlers.
//
// The page embeds a snapshot to draw at once. The socket /ws/proctor/<id>/ (static/js/socket.js:
// reconnects, close codes) sends a fresh snapshot on every (re)connect, then numbered events
// (docs/protocol.md). Channel-layer delivery is at-most-once, so an event whose `seq` is not
// exactly the last + 1 means one was lost: ask for a snapshot and replace everything with it.
//
// Names and warning texts are people's input: they go in with textContent, never innerHTML.
"use strict";

(() => {
  const root = document.getElementById("proctor");
  const configElement = document.getElementById("proctor-config");
  const snapshotElement = document.getElementById("snapshot");
  if (!root || !configElement || !snapshotElement) {
    return;
  }

  const config = JSON.parse(configElement.textContent);
  const { text, format } = window.KantokuI18n;
  const mayControl = config.may_control === true;
  // A handful of teachers, not a crowd: their dashboard retries within 10 s at most.
  const RETRY_CAP_MS = 10000;
  // Presence ends by heartbeat timeout on the server, which no event announces: ask again now and then.
  const REFRESH_MS = 30000;
  const FRESH_FLAG_MS = 5000;
  const ERROR_SHOWN_MS = 20000;
  // Signals that mean "back to normal": shown as evidence, but they do not flag a tile.
  const RETURN_KINDS = new Set(["focus_returned", "tab_visible", "fullscreen_enter", "connection_restored"]);
  const STATE_ICONS = { absent: "—", waiting: "…", answering: "✎", paused: "‖", submitted: "✓" };

  const tilesList = document.getElementById("tiles");
  const tilesEmpty = document.getElementById("tiles-empty");
  const tileTemplate = document.getElementById("tile-template");
  const sessionStatus = document.getElementById("session-status");
  const summary = document.getElementById("summary");
  const connectionStatus = document.getElementById("connection-status");
  const errorBox = document.getElementById("proctor-errors");
  const startButton = root.querySelector('.proctor-controls [data-action="start"]');
  const endButton = root.querySelector('.proctor-controls [data-action="end"]');

  const view = {
    status: null, // the session's status: open, running, ended
    seq: null, // the number of the last event applied
    awaitingSnapshot: false,
    // examinee id -> {tile, receivedAt, element, flags: Map(kind -> {count, lastAt, freshUntil}),
    //                 rows: Map(signal id -> count seen since the last snapshot)}
    examinees: new Map(),
  };
  let clockOffsetMs = Date.parse(config.now) - Date.now(); // the server's clock minus this device's

  // --- Formatting -----------------------------------------------------------------------

  function clock(totalSeconds) {
    const seconds = Math.max(0, totalSeconds);
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = String(seconds % 60).padStart(2, "0");
    return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
  }

  function setText(node, value) {
    if (node.textContent !== value) {
      node.textContent = value;
    }
  }

  function serverNow() {
    return Date.now() + clockOffsetMs;
  }

  // --- Tiles ------------------------------------------------------------------------------

  function createEntry(tile) {
    const element = tileTemplate.content.firstElementChild.cloneNode(true);
    element.id = `tile-${tile.id}`;
    element.dataset.examinee = String(tile.id);
    const name = element.querySelector(".tile-name");
    name.id = `tile-${tile.id}-name`;
    element.setAttribute("aria-labelledby", name.id);
    return { tile, element, receivedAt: 0, flags: new Map(), rows: new Map() };
  }

  function flagsFromTile(tile) {
    const flags = new Map();
    for (const flag of tile.flags || []) {
      flags.set(flag.kind, { count: flag.count, lastAt: flag.last_at, freshUntil: 0 });
    }
    return flags;
  }

  // Take a whole tile from the server (snapshot or `examinee` event): it is the truth up to its seq.
  function upsert(tile) {
    let entry = view.examinees.get(tile.id);
    if (!entry) {
      entry = createEntry(tile);
      view.examinees.set(tile.id, entry);
    }
    const previous = entry.flags;
    entry.tile = tile;
    entry.receivedAt = performance.now();
    entry.flags = flagsFromTile(tile);
    for (const [kind, flag] of entry.flags) {
      const before = previous.get(kind);
      if (before && before.count === flag.count) {
        flag.freshUntil = before.freshUntil;
      }
    }
    render(entry);
    return entry;
  }

  function isFlagged(entry) {
    if (entry.tile.warnings > 0 || entry.tile.incidents > 0) {
      return true;
    }
    for (const kind of entry.flags.keys()) {
      if (!RETURN_KINDS.has(kind)) {
        return true;
      }
    }
    return false;
  }

  function render(entry) {
    const { tile, element } = entry;
    element.dataset.state = tile.state;
    element.dataset.online = tile.online ? "yes" : "no";
    element.dataset.flagged = isFlagged(entry) ? "yes" : "no";
    element.dataset.revoked = tile.revoked ? "yes" : "no";
    setText(element.querySelector(".tile-number"), tile.number == null ? "" : String(tile.number));
    setText(element.querySelector(".tile-name"), tile.name);
    setText(element.querySelector(".tile-state .icon"), STATE_ICONS[tile.state] || "");
    setText(element.querySelector(".tile-state .text"), text.states[tile.state] || tile.state);
    const notes = [];
    if (tile.extra_minutes > 0) {
      notes.push(format(text.extra_minutes, { minutes: tile.extra_minutes }));
    }
    if (tile.revoked) {
      notes.push(text.revoked);
    } else if (tile.state === "submitted" && tile.finish_reason && tile.finish_reason !== "submitted") {
      notes.push(text.finish_reasons[tile.finish_reason] || "");
    }
    setText(element.querySelector(".tile-note"), notes.join(" · "));
    setText(element.querySelector(".tile-answered"), tile.total ? `${tile.answered} / ${tile.total}` : "");
    element.querySelector(".tile-progress-answered").hidden = !tile.total;
    setText(element.querySelector(".tile-warnings strong"), String(tile.warnings));
    element.querySelector(".tile-warnings").hidden = tile.warnings === 0;
    setText(element.querySelector(".tile-incidents strong"), String(tile.incidents || 0));
    element.querySelector(".tile-incidents").hidden = !tile.incidents;
    renderFlags(entry);
    renderClock(entry);
    renderButtons(entry);
  }

  function renderFlags(entry) {
    const now = performance.now();
    const items = [];
    const concerns = [...entry.flags].filter(([kind]) => !RETURN_KINDS.has(kind));
    const returns = [...entry.flags].filter(([kind]) => RETURN_KINDS.has(kind));
    for (const [kind, flag] of [...concerns, ...returns]) {
      const item = document.createElement("li");
      item.className = "flag";
      item.classList.toggle("flag-return", RETURN_KINDS.has(kind));
      item.classList.toggle("flag-new", flag.freshUntil > now);
      const label = document.createElement("span");
      label.className = "flag-label";
      label.textContent = text.signals[kind] || kind;
      const count = document.createElement("span");
      count.className = "flag-count";
      count.textContent = ` ×${flag.count}`;
      item.replaceChildren(label, count);
      const when = flag.lastAt ? ` · ${new Date(flag.lastAt).toLocaleTimeString()}` : "";
      item.title = `${label.textContent} ×${flag.count}${when}`;
      items.push(item);
    }
    entry.element.querySelector(".tile-flags").replaceChildren(...items);
  }

  function remainingSeconds(entry) {
    const { tile } = entry;
    if (tile.remaining_ms == null || tile.state === "submitted") {
      return null;
    }
    let ms = tile.remaining_ms;
    if (tile.state === "answering") {
      ms -= performance.now() - entry.receivedAt; // a paused attempt's clock stands still
    }
    return Math.max(0, Math.ceil(ms / 1000));
  }

  // What changes by itself every second: "offline for" and the time left.
  function renderClock(entry) {
    const { tile, element } = entry;
    let presence;
    if (tile.online) {
      presence =
        tile.connections > 1 ? `${text.online} · ${format(text.second_device, { count: tile.connections })}` : text.online;
    } else if (tile.offline_since && view.status !== "ended" && tile.state !== "submitted") {
      const seconds = Math.floor((serverNow() - Date.parse(tile.offline_since)) / 1000);
      presence = format(text.offline_for, { time: clock(seconds) });
    } else {
      presence = text.offline;
    }
    setText(element.querySelector(".tile-presence .icon"), tile.online ? "●" : "○");
    setText(element.querySelector(".tile-presence .text"), presence);
    const seconds = remainingSeconds(entry);
    const timeLeft = element.querySelector(".tile-time-left");
    timeLeft.hidden = seconds == null;
    timeLeft.classList.toggle("time-low", seconds != null && seconds <= 60);
    setText(element.querySelector(".tile-time"), seconds == null ? "" : clock(seconds));
  }

  function renderButtons(entry) {
    if (!mayControl) {
      return;
    }
    const { tile, element } = entry;
    const running = view.status === "running";
    const shown = {
      warn: view.status !== "ended" && tile.state !== "absent",
      pause: running && tile.state === "answering",
      resume: running && tile.state === "paused",
      extend: running && (tile.state === "answering" || tile.state === "paused"),
      report: true, // an HTTP form: open at any time, with or without the socket
    };
    for (const button of element.querySelectorAll("button[data-action]")) {
      const action = button.dataset.action;
      button.hidden = !shown[action];
      button.disabled = action !== "report" && !isConnected();
      button.setAttribute("aria-label", format(text[`${action}_label`], { name: tile.name }));
    }
  }

  function place(element, index) {
    const current = tilesList.children[index];
    if (current !== element) {
      tilesList.insertBefore(element, current || null); // moving a node only when needed keeps focus
    }
  }

  function renderSummary() {
    const counts = { online: 0, total: view.examinees.size, answering: 0, submitted: 0, flagged: 0 };
    for (const entry of view.examinees.values()) {
      counts.online += entry.tile.online ? 1 : 0;
      counts.answering += entry.tile.state === "answering" ? 1 : 0;
      counts.submitted += entry.tile.state === "submitted" ? 1 : 0;
      counts.flagged += isFlagged(entry) ? 1 : 0;
    }
    setText(summary, format(text.summary, counts));
    tilesEmpty.hidden = counts.total > 0;
  }

  function setSessionStatus(status) {
    view.status = status;
    sessionStatus.dataset.status = status;
    setText(sessionStatus, text.session[status] || status);
    if (startButton) {
      startButton.hidden = status !== "open";
    }
    if (endButton) {
      endButton.hidden = status === "ended";
    }
    for (const entry of view.examinees.values()) {
      renderButtons(entry);
    }
  }

  // --- Frames from the server ---------------------------------------------------------------

  function applySnapshot(frame) {
    view.awaitingSnapshot = false;
    view.seq = frame.seq;
    if (frame.now) {
      clockOffsetMs = Date.parse(frame.now) - Date.now();
    }
    view.status = frame.session.status;
    const seen = new Set();
    frame.examinees.forEach((tile, index) => {
      const entry = upsert(tile);
      entry.rows = new Map(); // the snapshot's counts include every row so far
      seen.add(tile.id);
      place(entry.element, index);
    });
    for (const [id, entry] of view.examinees) {
      if (!seen.has(id)) {
        entry.element.remove();
        view.examinees.delete(id);
      }
    }
    setSessionStatus(frame.session.status);
    renderSummary();
  }

  // A signal event is one more occurrence: a new row (count 1), or a burst's row whose count grew.
  // Grouped by kind on the tile, so a burst of 20 is one flag "×20", never 20 items.
  function applySignal(frame) {
    const entry = view.examinees.get(frame.examinee);
    if (!entry) {
      return;
    }
    const seen = entry.rows.get(frame.id);
    const added = seen === undefined ? 1 : Math.max(0, frame.count - seen);
    entry.rows.set(frame.id, frame.count);
    const flag = entry.flags.get(frame.kind) || { count: 0, lastAt: null, freshUntil: 0 };
    flag.count += added;
    flag.lastAt = frame.last_at || frame.at;
    flag.freshUntil = performance.now() + FRESH_FLAG_MS;
    entry.flags.set(frame.kind, flag);
    render(entry);
  }

  function applyEvent(frame) {
    switch (frame.type) {
      case "examinee":
        if (!frame.examinee) {
          requestSnapshot(); // someone left the roster: the snapshot says who is still there
          return;
        }
        if (!view.examinees.has(frame.examinee.id)) {
          place(upsert(frame.examinee).element, view.examinees.size - 1);
        } else {
          upsert(frame.examinee);
        }
        break;
      case "progress": {
        // Only the answered count changed: those two numbers, the rest of the tile stays.
        const entry = view.examinees.get(frame.examinee);
        if (entry) {
          entry.tile = { ...entry.tile, answered: frame.answered, total: frame.total };
          render(entry);
        }
        break;
      }
      case "signal":
        applySignal(frame);
        break;
      case "session":
        setSessionStatus(frame.status);
        break;
      default:
        return;
    }
    renderSummary();
  }

  function onFrame(frame) {
    if (frame.type === "snapshot") {
      applySnapshot(frame);
      return;
    }
    if (frame.type === "error") {
      showError(frame.message || frame.code);
      return;
    }
    if (typeof frame.seq !== "number" || view.seq === null || frame.seq <= view.seq) {
      return; // already part of what is shown
    }
    if (frame.seq !== view.seq + 1) {
      requestSnapshot(); // a lost event: start again from a snapshot
      return;
    }
    view.seq = frame.seq;
    applyEvent(frame);
  }

  // --- The socket ---------------------------------------------------------------------------

  let socket = null; // KantokuSocket, from the start of the page on

  function isConnected() {
    return socket !== null && socket.isOpen();
  }

  function setConnection(state, message) {
    connectionStatus.dataset.state = state;
    setText(connectionStatus, message);
  }

  function setControlsEnabled() {
    if (startButton) {
      startButton.disabled = !isConnected();
    }
    if (endButton) {
      endButton.disabled = !isConnected();
    }
    for (const entry of view.examinees.values()) {
      renderButtons(entry);
    }
  }

  function send(frame) {
    if (!isConnected() || !socket.send(frame)) {
      showError(text.not_connected);
      return false;
    }
    return true;
  }

  function requestSnapshot() {
    if (!view.awaitingSnapshot && isConnected()) {
      view.awaitingSnapshot = true;
      send({ type: "snapshot" });
    }
  }

  function connect() {
    socket = window.KantokuSocket.connect({
      path: config.ws_path,
      capMs: RETRY_CAP_MS,
      onFrame,
      onConnecting: () => setConnection("connecting", text.connecting),
      // The server sends a snapshot by itself on every connect: that one is the resync. Until it
      // comes a gap asks for nothing more (it would only bring a second snapshot).
      onOpen: () => {
        view.awaitingSnapshot = true;
      },
      onUp: () => {
        setConnection("live", text.live);
        setControlsEnabled();
      },
      onDown: ({ retryInMs }) => {
        setControlsEnabled();
        if (retryInMs !== null) {
          setConnection("retrying", format(text.reconnecting, { seconds: Math.max(1, Math.ceil(retryInMs / 1000)) }));
        }
      },
      // Signed out (4401) or not allowed (4403): no more retries; the page says so.
      onStop: () => setConnection("closed", text.not_allowed),
    });
  }

  // --- Status area for refusals -------------------------------------------------------------

  let errorTimer = null;

  function showError(message) {
    clearTimeout(errorTimer);
    errorBox.textContent = message;
    errorTimer = setTimeout(() => {
      errorBox.textContent = "";
    }, ERROR_SHOWN_MS);
  }

  // --- Controls (the session's teacher only; the server refuses anyone else anyway) ----------

  function openDialog(dialog, entry, opener) {
    const form = dialog.querySelector("form");
    form.reset();
    for (const field of form.querySelectorAll("[aria-invalid]")) {
      field.removeAttribute("aria-invalid");
    }
    dialog.dataset.examinee = String(entry.tile.id);
    dialog.querySelector('[data-slot="name"]').textContent = entry.tile.name;
    updateCounter(dialog);
    dialog.showModal();
    dialog.addEventListener(
      "close",
      () => {
        if (opener.isConnected && !opener.hidden) {
          opener.focus();
        }
      },
      { once: true },
    );
  }

  function updateCounter(dialog) {
    const counter = dialog.querySelector('[data-slot="count"]');
    const field = dialog.querySelector("textarea");
    if (counter && field) {
      counter.textContent = String(field.value.length);
    }
  }

  function refuse(field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }

  function submitDialog(form) {
    const dialog = form.closest("dialog");
    const examinee = Number(dialog.dataset.examinee);
    if (form.dataset.dialogAction === "warn") {
      const field = form.elements.text;
      const value = field.value.trim();
      if (!value || value.length > Number(field.maxLength)) {
        refuse(field);
        return;
      }
      if (send({ type: "warn", examinee, text: value })) {
        dialog.close();
      }
    } else if (form.dataset.dialogAction === "extend") {
      const field = form.elements.minutes;
      const minutes = Number(field.value);
      if (!Number.isInteger(minutes) || minutes < Number(field.min) || minutes > Number(field.max)) {
        refuse(field);
        return;
      }
      if (send({ type: "extend", examinee, minutes })) {
        dialog.close();
      }
    }
  }

  // The incident form is an HTTP form (htmx), not a frame: it comes from the server with the
  // examinee's signals as checkboxes, posts there, and the tile learns of the incident by its event.
  const incidentDialog = document.getElementById("incident-dialog");
  const incidentBody = document.getElementById("incident-dialog-body");
  const incidentPlaceholder = incidentBody ? incidentBody.innerHTML : "";

  function openIncidentDialog(entry, opener) {
    const url = `${config.incident_url}${entry.tile.id}/`;
    if (!incidentDialog || !window.htmx) {
      window.location.assign(url); // the same form as a page
      return;
    }
    incidentBody.innerHTML = incidentPlaceholder;
    incidentDialog.showModal();
    incidentDialog.addEventListener(
      "close",
      () => {
        if (opener.isConnected && !opener.hidden) {
          opener.focus();
        }
      },
      { once: true },
    );
    window.htmx
      .ajax("GET", url, { target: incidentBody, swap: "innerHTML" })
      .then(() => {
        const field = incidentBody.querySelector("select, textarea, input:not([type=hidden])");
        if (field) {
          field.focus();
        } else {
          incidentDialog.close();
          showError(text.loading_failed);
        }
      })
      .catch(() => {
        incidentDialog.close();
        showError(text.loading_failed);
      });
  }

  if (incidentDialog) {
    incidentDialog.addEventListener("click", (event) => {
      if (event.target.closest("[data-close]")) {
        incidentDialog.close();
      }
    });
    // After saving, the dialog says so: put the focus on it, so a screen reader reads it.
    incidentBody.addEventListener("htmx:afterSettle", () => {
      const saved = incidentBody.querySelector(".incident-saved");
      const target = saved ? saved.querySelector("a, button") : incidentBody.querySelector('[aria-invalid="true"]');
      target?.focus();
    });
  }

  if (mayControl) {
    const dialogs = { warn: document.getElementById("warn-dialog"), extend: document.getElementById("extend-dialog") };
    tilesList.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      const tile = button && button.closest(".tile");
      const entry = tile && view.examinees.get(Number(tile.dataset.examinee));
      if (!entry) {
        return;
      }
      const action = button.dataset.action;
      if (action === "report") {
        openIncidentDialog(entry, button);
      } else if (dialogs[action]) {
        openDialog(dialogs[action], entry, button);
      } else {
        send({ type: action, examinee: entry.tile.id });
      }
    });
    for (const dialog of Object.values(dialogs)) {
      const form = dialog.querySelector("form");
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        submitDialog(form);
      });
      form.addEventListener("input", () => updateCounter(dialog));
      dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
    }
    startButton?.addEventListener("click", () => send({ type: "start" }));
    endButton?.addEventListener("click", () => {
      if (window.confirm(text.confirm_end)) {
        send({ type: "end" });
      }
    });
  }

  // --- Go -------------------------------------------------------------------------------------

  applySnapshot(JSON.parse(snapshotElement.textContent));
  setControlsEnabled();
  connect();
  setInterval(() => {
    const now = performance.now();
    for (const entry of view.examinees.values()) {
      renderClock(entry);
      for (const flag of entry.flags.values()) {
        if (flag.freshUntil && flag.freshUntil <= now) {
          flag.freshUntil = 0;
          renderFlags(entry);
        }
      }
    }
  }, 1000);
  setInterval(() => {
    if (isConnected()) {
      send({ type: "snapshot" });
    }
  }, REFRESH_MS);
})();
