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
  const PULSE_MS = 2500; // the tile's pulse: three beats of dashboard.css's tile-pulse
  const ERROR_SHOWN_MS = 20000;
  // Signals that mean "back to normal": shown as evidence, but they do not flag a tile (the server's list).
  const RETURN_KINDS = new Set(config.return_kinds || []);
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
  //
  // A tile needs attention when the pupil raised their hand or has flags the teacher has not seen
  // (the tile's `hand_raised` and `attention`, docs/protocol.md §2.2). A `signal` event after the
  // last whole tile adds its kind here (`bumped`): no tile event follows a signal.

  function createEntry(tile) {
    const element = tileTemplate.content.firstElementChild.cloneNode(true);
    element.id = `tile-${tile.id}`;
    element.dataset.examinee = String(tile.id);
    return {
      tile,
      element,
      button: element.querySelector(".tile-button"),
      receivedAt: 0,
      flags: new Map(),
      rows: new Map(),
      bumped: new Set(), // kinds flagged anew by `signal` events since the last whole tile
      pulseUntil: 0,
    };
  }

  function flagsFromTile(entry, tile) {
    const flags = new Map();
    for (const flag of tile.flags || []) {
      flags.set(flag.kind, { count: flag.count, lastAt: flag.last_at, freshUntil: 0, isNew: flag.new === true });
    }
    return flags;
  }

  // Take a whole tile from the server (snapshot or `examinee` event): it is the truth up to its seq.
  function upsert(tile, { quiet = false } = {}) {
    let entry = view.examinees.get(tile.id);
    if (!entry) {
      entry = createEntry(tile);
      entry.rosterIndex = view.examinees.size;
      view.examinees.set(tile.id, entry);
    }
    const previous = entry.flags;
    const wasHand = handRaised(entry);
    entry.tile = tile;
    entry.receivedAt = performance.now();
    entry.flags = flagsFromTile(entry, tile);
    entry.bumped = new Set();
    for (const [kind, flag] of entry.flags) {
      const before = previous.get(kind);
      if (before && before.count === flag.count) {
        flag.freshUntil = before.freshUntil;
      }
    }
    if (!wasHand && handRaised(entry) && !quiet) {
      announce(entry, text.hand_raised);
    }
    render(entry);
    return entry;
  }

  function handRaised(entry) {
    return entry.tile.hand_raised === true;
  }

  function attentionOf(entry) {
    return entry.tile.attention + entry.bumped.size;
  }

  function needsAttention(entry) {
    return handRaised(entry) || attentionOf(entry) > 0;
  }

  // Anything worth a look, seen or not: the tile's flags other than "back to normal", warnings, incidents.
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
    element.dataset.attention = needsAttention(entry) ? "yes" : "no";
    element.dataset.hand = handRaised(entry) ? "yes" : "no";
    element.dataset.revoked = tile.revoked ? "yes" : "no";
    element.dataset.pulse = entry.pulseUntil > performance.now() ? "yes" : "no";
    setText(element.querySelector(".tile-number"), tile.number == null ? "" : String(tile.number));
    setText(element.querySelector(".tile-name"), tile.name);
    setText(element.querySelector(".tile-state .icon"), STATE_ICONS[tile.state] || "");
    setText(element.querySelector(".tile-state .text"), text.states[tile.state] || tile.state);
    setText(element.querySelector(".tile-answered"), tile.total ? `${tile.answered} / ${tile.total}` : "");
    element.querySelector(".tile-progress-answered").hidden = !tile.total;
    let attention = "";
    let attentionIcon = "";
    if (handRaised(entry)) {
      attention = text.hand_raised;
      attentionIcon = "✋";
    } else if (needsAttention(entry)) {
      attention = text.attention;
      attentionIcon = "⚠";
    }
    setText(element.querySelector(".tile-attention .icon"), attentionIcon);
    setText(element.querySelector(".tile-attention .text"), attention);
    renderFlags(entry);
    renderClock(entry);
    if (dialogEntry === entry) {
      renderDialog();
    }
  }

  function flagChip(className, label, short, count) {
    const item = document.createElement("span");
    item.className = className;
    item.dataset.short = short;
    const labelNode = document.createElement("span");
    labelNode.className = "flag-label";
    labelNode.textContent = label;
    const countNode = document.createElement("span");
    countNode.className = "flag-count";
    countNode.textContent = ` ×${count}`;
    item.replaceChildren(labelNode, countNode);
    return item;
  }

  // Concerns first, then "back to normal"; on the tile each has its short name (the whole one in the dialog).
  function sortedFlags(entry) {
    const concerns = [...entry.flags].filter(([kind]) => !RETURN_KINDS.has(kind));
    const returns = [...entry.flags].filter(([kind]) => RETURN_KINDS.has(kind));
    return [...concerns, ...returns];
  }

  function renderFlags(entry) {
    const now = performance.now();
    const { tile } = entry;
    const items = [];
    if (tile.warnings > 0) {
      items.push(flagChip("flag flag-warning", text.warnings_short, text.warnings_short, tile.warnings));
    }
    if (tile.incidents > 0) {
      items.push(flagChip("flag flag-incident", text.incidents_short, text.incidents_short, tile.incidents));
    }
    for (const [kind, flag] of sortedFlags(entry)) {
      const label = text.signals[kind] || kind;
      const item = flagChip("flag", label, (text.signals_short || {})[kind] || label, flag.count);
      item.classList.toggle("flag-return", RETURN_KINDS.has(kind));
      item.classList.toggle("flag-new", flag.freshUntil > now || flag.isNew);
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

  function presenceText(entry) {
    const { tile } = entry;
    if (tile.online) {
      return tile.connections > 1 ? `${text.online} · ${format(text.second_device, { count: tile.connections })}` : text.online;
    }
    if (tile.offline_since && view.status !== "ended" && tile.state !== "submitted") {
      const seconds = Math.floor((serverNow() - Date.parse(tile.offline_since)) / 1000);
      return format(text.offline_for, { time: clock(seconds) });
    }
    return text.offline;
  }

  // What changes by itself every second: "offline for" and the time left.
  function renderClock(entry) {
    const { tile, element } = entry;
    setText(element.querySelector(".tile-presence .icon"), tile.online ? "●" : "○");
    setText(element.querySelector(".tile-presence .text"), presenceText(entry));
    const seconds = remainingSeconds(entry);
    const timeLeft = element.querySelector(".tile-time-left");
    timeLeft.hidden = seconds == null;
    timeLeft.classList.toggle("time-low", seconds != null && seconds <= 60);
    setText(element.querySelector(".tile-time"), seconds == null ? "" : clock(seconds));
    if (element.dataset.pulse === "yes" && entry.pulseUntil <= performance.now()) {
      element.dataset.pulse = "no";
    }
  }

  // --- Order and filter ---------------------------------------------------------------------

  const filterGroup = document.getElementById("tile-filter");
  const noneShown = document.getElementById("tiles-none-shown");
  let filter = "attention_first";

  const FILTERS = {
    attention_first: () => true,
    all: () => true,
    attention: needsAttention,
    offline: (entry) => !entry.tile.online && entry.tile.state !== "absent" && entry.tile.state !== "submitted",
    absent: (entry) => entry.tile.state === "absent",
    submitted: (entry) => entry.tile.state === "submitted",
  };

  // Raised hands, then unseen flags (most first), then everyone else; each in roster order.
  function urgency(entry) {
    if (handRaised(entry)) {
      return 0;
    }
    return needsAttention(entry) ? 1 : 2;
  }

  function arrange() {
    const entries = [...view.examinees.values()].sort(
      (a, b) => (filter === "all" ? 0 : urgency(a) - urgency(b)) || a.rosterIndex - b.rosterIndex,
    );
    let shown = 0;
    entries.forEach((entry, index) => {
      const visible = FILTERS[filter](entry);
      entry.element.hidden = !visible;
      shown += visible ? 1 : 0;
      place(entry.element, index);
    });
    noneShown.hidden = shown > 0 || view.examinees.size === 0;
  }

  function setFilter(name) {
    filter = FILTERS[name] ? name : "attention_first";
    for (const button of filterGroup.querySelectorAll("[data-filter]")) {
      button.setAttribute("aria-pressed", button.dataset.filter === filter ? "true" : "false");
    }
    arrange();
  }

  filterGroup.addEventListener("click", (event) => {
    const button = event.target.closest("[data-filter]");
    if (button) {
      // The pressed one again goes back to the whole class, needing attention first.
      setFilter(button.getAttribute("aria-pressed") === "true" && button.dataset.filter !== "attention_first" ? "attention_first" : button.dataset.filter);
    }
  });

  function place(element, index) {
    const current = tilesList.children[index];
    if (current !== element) {
      tilesList.insertBefore(element, current || null); // moving a node only when needed keeps focus
    }
  }

  function renderSummary() {
    const counts = { online: 0, total: view.examinees.size, answering: 0, submitted: 0, flagged: 0 };
    const filterCounts = { attention: 0, offline: 0, absent: 0, submitted: 0 };
    for (const entry of view.examinees.values()) {
      counts.online += entry.tile.online ? 1 : 0;
      counts.answering += entry.tile.state === "answering" ? 1 : 0;
      counts.submitted += entry.tile.state === "submitted" ? 1 : 0;
      counts.flagged += isFlagged(entry) ? 1 : 0;
      for (const name of Object.keys(filterCounts)) {
        filterCounts[name] += FILTERS[name](entry) ? 1 : 0;
      }
    }
    setText(summary, format(text.summary, counts));
    for (const [name, count] of Object.entries(filterCounts)) {
      const node = filterGroup.querySelector(`[data-count="${name}"]`);
      setText(node, String(count));
      node.closest("button").dataset.some = count > 0 ? "yes" : "no";
    }
    tilesEmpty.hidden = counts.total > 0;
    arrange();
  }

  // --- News: new flags and raised hands, read out politely and pulsed once ------------------

  const news = document.getElementById("attention-news");
  const NEWS_KEPT = 5;

  function announce(entry, what) {
    const { tile } = entry;
    const line = document.createElement("p");
    line.textContent =
      tile.number == null
        ? format(text.news_no_number, { name: tile.name, what })
        : format(text.news, { number: tile.number, name: tile.name, what });
    news.append(line);
    while (news.childElementCount > NEWS_KEPT) {
      news.firstElementChild.remove();
    }
    entry.pulseUntil = performance.now() + PULSE_MS;
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
    renderClassActions();
    if (dialogEntry) {
      renderDialog();
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
      const entry = upsert(tile, { quiet: true }); // a snapshot is the picture, not news
      entry.rows = new Map(); // the snapshot's counts include every row so far
      entry.rosterIndex = index;
      seen.add(tile.id);
    });
    for (const [id, entry] of view.examinees) {
      if (!seen.has(id)) {
        entry.element.remove();
        view.examinees.delete(id);
        if (dialogEntry === entry) {
          examineeDialog.close();
        }
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
    const flag = entry.flags.get(frame.kind) || { count: 0, lastAt: null, freshUntil: 0, isNew: false };
    flag.count += added;
    flag.lastAt = frame.last_at || frame.at;
    flag.freshUntil = performance.now() + FRESH_FLAG_MS;
    if (!RETURN_KINDS.has(frame.kind)) {
      if (!flag.isNew) {
        entry.bumped.add(frame.kind);
      }
      flag.isNew = true;
      if (added > 0) {
        announce(entry, text.signals[frame.kind] || frame.kind);
      }
    }
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
        upsert(frame.examinee);
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
    renderClassActions();
    if (dialogEntry) {
      renderDialog();
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

  // --- One examinee's dialog: everything about them, and (the teacher's) actions on demand -----

  const examineeDialog = document.getElementById("examinee-dialog");
  let dialogEntry = null; // the entry the dialog shows while it is open
  let dialogOpener = null;

  function slot(container, name) {
    return container.querySelector(`[data-slot="${name}"]`);
  }

  function renderDialog() {
    const entry = dialogEntry;
    if (!entry) {
      return;
    }
    const { tile } = entry;
    setText(slot(examineeDialog, "number"), tile.number == null ? "" : format(text.examinee_title, { number: tile.number }));
    setText(slot(examineeDialog, "name"), tile.name);
    let attention = "";
    if (handRaised(entry)) {
      attention = `✋ ${text.hand_raised}`;
    } else if (attentionOf(entry) > 0) {
      attention = `⚠ ${format(text.attention_count, { count: attentionOf(entry) })}`;
    }
    setText(slot(examineeDialog, "attention"), attention);
    setText(slot(examineeDialog, "state"), `${STATE_ICONS[tile.state] || ""} ${text.states[tile.state] || tile.state}`);
    setText(slot(examineeDialog, "presence"), `${tile.online ? "●" : "○"} ${presenceText(entry)}`);
    setText(slot(examineeDialog, "answered"), tile.total ? `${tile.answered} / ${tile.total}` : text.no_time);
    const seconds = remainingSeconds(entry);
    setText(slot(examineeDialog, "time"), seconds == null ? text.no_time : clock(seconds));
    setText(slot(examineeDialog, "warnings"), String(tile.warnings || 0));
    setText(slot(examineeDialog, "incidents"), String(tile.incidents || 0));
    const notes = [];
    if (typeof tile.accommodation === "number" && tile.accommodation !== 1) {
      notes.push(format(text.accommodation, { factor: tile.accommodation }));
    }
    if (tile.extra_minutes > 0) {
      notes.push(format(text.extra_minutes, { minutes: tile.extra_minutes }));
    }
    if (tile.revoked) {
      notes.push(text.revoked);
    } else if (tile.state === "submitted" && tile.finish_reason && tile.finish_reason !== "submitted") {
      notes.push(text.finish_reasons[tile.finish_reason] || "");
    }
    setText(slot(examineeDialog, "notes"), notes.join(" · ") || text.no_time);
    const items = sortedFlags(entry).map(([kind, flag]) => {
      const item = document.createElement("li");
      const when = flag.lastAt ? ` · ${new Date(flag.lastAt).toLocaleTimeString()}` : "";
      item.textContent = `${text.signals[kind] || kind} ×${flag.count}${when}`;
      if (flag.isNew) {
        const word = document.createElement("span");
        word.className = "flag-new-word";
        word.textContent = ` (${text.new_flag})`;
        item.append(word);
      }
      return item;
    });
    slot(examineeDialog, "flags").replaceChildren(...items);
    slot(examineeDialog, "no-flags").hidden = items.length > 0;
    if (mayControl) {
      const running = view.status === "running";
      const shown = {
        acknowledge: needsAttention(entry),
        warn: view.status !== "ended" && tile.state !== "absent",
        pause: running && tile.state === "answering",
        resume: running && tile.state === "paused",
        extend: running && (tile.state === "answering" || tile.state === "paused"),
        report: tile.state !== "absent", // an HTTP form: open with or without the socket
      };
      for (const button of examineeDialog.querySelectorAll("button[data-action]")) {
        const action = button.dataset.action;
        button.hidden = !shown[action];
        button.disabled = action !== "report" && !isConnected();
      }
    }
  }

  function openExamineeDialog(entry, opener) {
    dialogEntry = entry;
    dialogOpener = opener;
    renderDialog();
    examineeDialog.showModal();
  }

  examineeDialog.addEventListener("close", () => {
    dialogEntry = null;
  });
  examineeDialog.querySelector("[data-close]").addEventListener("click", () => {
    examineeDialog.close();
    focusOpener(dialogOpener);
  });
  examineeDialog.addEventListener("cancel", () => focusOpener(dialogOpener));

  function focusOpener(opener) {
    if (opener && opener.isConnected && !opener.closest("[hidden]")) {
      opener.focus();
    }
  }

  tilesList.addEventListener("click", (event) => {
    const button = event.target.closest(".tile-button");
    const tile = button && button.closest(".tile");
    const entry = tile && view.examinees.get(Number(tile.dataset.examinee));
    if (entry) {
      openExamineeDialog(entry, button);
    }
  });

  // --- Controls (the session's teacher only; the server refuses anyone else anyway) ----------

  function openDialog(dialog, entry, opener) {
    const form = dialog.querySelector("form");
    form.reset();
    for (const field of form.querySelectorAll("[aria-invalid]")) {
      field.removeAttribute("aria-invalid");
    }
    if (entry) {
      dialog.dataset.examinee = String(entry.tile.id);
      setText(slot(dialog, "name"), entry.tile.name);
    }
    updateCounter(dialog);
    dialog.showModal();
    dialog.addEventListener("close", () => focusOpener(opener), { once: true });
  }

  function updateCounter(dialog) {
    const counter = slot(dialog, "count");
    const field = dialog.querySelector("textarea");
    if (counter && field) {
      counter.textContent = String(field.value.length);
    }
  }

  function refuse(field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }

  function minutesOf(field) {
    const minutes = Number(field.value);
    if (!Number.isInteger(minutes) || minutes < Number(field.min) || minutes > Number(field.max)) {
      refuse(field);
      return null;
    }
    return minutes;
  }

  function textOf(field) {
    const value = field.value.trim();
    if (!value || value.length > Number(field.maxLength)) {
      refuse(field);
      return null;
    }
    return value;
  }

  function submitDialog(form) {
    const dialog = form.closest("dialog");
    const examinee = Number(dialog.dataset.examinee);
    if (form.dataset.dialogAction === "warn") {
      const value = textOf(form.elements.text);
      if (value !== null && send({ type: "warn", examinee, text: value })) {
        dialog.close();
      }
    } else if (form.dataset.dialogAction === "extend") {
      const minutes = minutesOf(form.elements.minutes);
      if (minutes !== null && send({ type: "extend", examinee, minutes })) {
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
    incidentDialog.addEventListener("close", () => focusOpener(opener), { once: true });
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

  // Seen: the teacher looked at this pupil. The server lowers the hand and marks the flags seen
  // (its next tile says so); the tile calms down at once here all the same.
  function acknowledge(entry) {
    if (!send({ type: "acknowledge", examinee: entry.tile.id })) {
      return;
    }
    entry.pulseUntil = 0;
    entry.bumped = new Set();
    for (const flag of entry.flags.values()) {
      flag.isNew = false;
    }
    entry.tile = { ...entry.tile, hand_raised: false, attention: 0 };
    render(entry);
    renderSummary();
  }

  // --- The whole class: notice, pause, resume, extra time; each asks first --------------------

  const classActions = root.querySelector(".class-actions");
  const confirmDialog = document.getElementById("confirm-dialog");
  let confirmed = null; // what the confirm dialog does on "yes"

  function renderClassActions() {
    if (!classActions) {
      return;
    }
    const running = view.status === "running";
    const shown = {
      announce: view.status !== "ended",
      pause_all: running,
      resume_all: running,
      extend_all: running,
    };
    for (const button of classActions.querySelectorAll("[data-class-action]")) {
      button.hidden = !shown[button.dataset.classAction];
      button.disabled = !isConnected();
    }
    classActions.hidden = !Object.values(shown).some(Boolean);
  }

  function ask(opener, { title, question, yes, then }) {
    setText(slot(confirmDialog, "title"), title);
    setText(slot(confirmDialog, "text"), question);
    setText(slot(confirmDialog, "yes"), yes);
    confirmed = then;
    confirmDialog.showModal();
    confirmDialog.addEventListener("close", () => focusOpener(opener), { once: true });
  }

  function absentCount() {
    let count = 0;
    for (const entry of view.examinees.values()) {
      count += entry.tile.state === "absent" ? 1 : 0;
    }
    return count;
  }

  if (mayControl) {
    const dialogs = { warn: document.getElementById("warn-dialog"), extend: document.getElementById("extend-dialog") };
    examineeDialog.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      const entry = dialogEntry;
      if (!button || !entry) {
        return;
      }
      const action = button.dataset.action;
      const opener = dialogOpener;
      if (action === "acknowledge") {
        acknowledge(entry);
        return;
      }
      if (action === "pause" || action === "resume") {
        send({ type: action, examinee: entry.tile.id });
        return;
      }
      examineeDialog.close(); // one dialog at a time; the next one gives the focus back to the tile
      if (action === "report") {
        openIncidentDialog(entry, opener);
      } else if (dialogs[action]) {
        openDialog(dialogs[action], entry, opener);
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

    const announceDialog = document.getElementById("announce-dialog");
    const extendAllDialog = document.getElementById("extend-all-dialog");
    classActions?.addEventListener("click", (event) => {
      const button = event.target.closest("[data-class-action]");
      if (!button) {
        return;
      }
      const action = button.dataset.classAction;
      if (action === "announce") {
        openDialog(announceDialog, null, button);
      } else if (action === "extend_all") {
        openDialog(extendAllDialog, null, button);
      } else {
        ask(button, {
          title: text[`confirm_${action}_title`],
          question: text[`confirm_${action}`],
          yes: text[`confirm_${action}_yes`],
          then: () => send({ type: action }),
        });
      }
    });
    for (const dialog of [announceDialog, extendAllDialog, confirmDialog]) {
      const form = dialog.querySelector("form");
      form.addEventListener("input", () => updateCounter(dialog));
      dialog.querySelector("[data-close]").addEventListener("click", () => dialog.close());
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        let sent = false;
        if (form.dataset.classForm === "announce") {
          const value = textOf(form.elements.text);
          sent = value !== null && send({ type: "announce", text: value });
        } else if (form.dataset.classForm === "extend_all") {
          const minutes = minutesOf(form.elements.minutes);
          sent = minutes !== null && send({ type: "extend_all", minutes });
        } else if (confirmed) {
          sent = confirmed() !== false;
        }
        if (sent) {
          dialog.close();
        }
      });
    }
    announceDialog.addEventListener("click", (event) => {
      const quick = event.target.closest("[data-fill]");
      if (quick) {
        const field = announceDialog.querySelector("textarea");
        field.value = quick.dataset.fill;
        updateCounter(announceDialog);
        field.focus();
      }
    });

    // Starting with pupils missing asks first; with everyone in, it starts at once.
    startButton?.addEventListener("click", () => {
      const absent = absentCount();
      if (absent === 0) {
        send({ type: "start" });
        return;
      }
      ask(startButton, {
        title: text.confirm_start_title,
        question: format(text.confirm_start, { count: absent }),
        yes: text.confirm_start_yes,
        then: () => send({ type: "start" }),
      });
    });
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
    renderDialog();
  }, 1000);
  setInterval(() => {
    if (isConnected()) {
      send({ type: "snapshot" });
    }
  }, REFRESH_MS);
})();
