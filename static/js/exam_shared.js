// What the waiting room (static/js/waiting_room.js) and the attempt page (static/js/attempt.js)
// share: the page's configuration (the json_script "exam-config"), the exam socket, and reloading
// without a loop; and the parts of templates/exams/partials/exam_header.html and exam_tools.html:
// the text size and furigana, the help button (the `hand` frame) and the teacher's announcements (the
// `announcement` frame, docs/protocol.md §2.1). Plain JS, no build step. Loaded after
// static/js/socket.js and before the page's own script, it gives them
// window.KantokuExam = {config, connect(options), reloadOnce(reason), afterStop(info, then)}.
"use strict";

window.KantokuExam = (() => {
  const configElement = document.getElementById("exam-config");
  const config = configElement ? JSON.parse(configElement.textContent) : null;
  const text = window.KantokuI18n.text;

  // Reload at most once a minute for the same reason, so a refusal cannot loop.
  function reloadOnce(reason) {
    const key = `kantoku.exam.reloaded.${reason}`;
    let last = 0;
    try {
      last = Number(window.sessionStorage.getItem(key)) || 0;
      window.sessionStorage.setItem(key, String(Date.now()));
    } catch {
      // no sessionStorage: reload anyway
    }
    if (Date.now() - last > 60000) {
      window.location.reload();
      return true;
    }
    return false;
  }

  // After the socket stopped for good (4401 signed out, 4403 refused), `then` (a reload) runs; after
  // 4401 a second later: the sign-out closes the sockets just before it ends the browser session, and a
  // reload sent at once could still find the session alive (and the page would stay, its socket refused).
  function afterStop(info, then) {
    if (info && info.code === window.KantokuSocket.CLOSE.SIGNED_OUT) setTimeout(then, 1000);
    else then();
  }

  // --- Kept on this device for every test: the text size and whether furigana show ---
  function stored(key) {
    try {
      return window.localStorage.getItem(key);
    } catch {
      return null; // no localStorage: the default
    }
  }
  function keep(key, value) {
    try {
      window.localStorage.setItem(key, value);
    } catch {
      // not kept on this device: this page still shows it
    }
  }

  // --- Text size: 小・中・大, a class on the page root ---
  const TEXT_SIZES = ["small", "medium", "large"];
  const TEXT_SIZE_KEY = "kantoku.exam.textSize";

  function setTextSize(size, save) {
    if (!TEXT_SIZES.includes(size)) size = "medium";
    const root = document.documentElement;
    for (const other of TEXT_SIZES) root.classList.toggle(`text-size-${other}`, other === size);
    document.querySelectorAll("[data-text-size]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.textSize === size));
    });
    if (save) keep(TEXT_SIZE_KEY, size);
  }

  // --- Furigana: ふりがな あり・なし, the class furigana-hidden on the page root hides <rt> (static/css/exam.css) ---
  const FURIGANA_KEY = "kantoku.exam.furigana";

  function setFurigana(state, save) {
    if (state !== "hidden") state = "shown";
    document.documentElement.classList.toggle("furigana-hidden", state === "hidden");
    document.querySelectorAll("[data-furigana]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.furigana === state));
    });
    if (save) keep(FURIGANA_KEY, state);
  }

  setTextSize(stored(TEXT_SIZE_KEY), false);
  setFurigana(stored(FURIGANA_KEY), false);
  document.addEventListener("click", (event) => {
    const size = event.target.closest("[data-text-size]");
    if (size) setTextSize(size.dataset.textSize, true);
    const furigana = event.target.closest("[data-furigana]");
    if (furigana) setFurigana(furigana.dataset.furigana, true);
  });

  // --- The teacher's announcements: a banner, text only ---
  const announcementBanner = document.getElementById("announcement-banner");
  const announcementText = document.getElementById("announcement-text");
  function announce(message) {
    if (!announcementBanner || typeof message !== "string" || !message) return;
    announcementText.textContent = message;
    announcementBanner.hidden = false;
  }
  document.getElementById("announcement-dismiss")?.addEventListener("click", () => {
    announcementBanner.hidden = true;
  });

  // --- The help button: `hand` raises the pupil's hand on the teacher's tile, with no text. ---
  // The server confirms with `hand {raised: true}` and lowers it with `hand {raised: false}` when
  // the teacher acknowledges. A server that does not take `hand` (an `error`), or no answer at all,
  // puts the button back and asks the pupil to raise their hand in the room instead.
  const helpButton = document.getElementById("help-button");
  const helpStatus = document.getElementById("help-status");
  const HAND_ANSWER_MS = 8000;
  let socket = null;
  let handTimer = null;

  function showHand(state, status) {
    if (!helpButton) return;
    clearTimeout(handTimer);
    handTimer = null;
    helpButton.dataset.state = state; // idle, sending or raised
    // Its label says the state; pressing again does nothing until the teacher has answered.
    helpButton.setAttribute("aria-disabled", String(state !== "idle"));
    if (status !== undefined) helpStatus.textContent = status;
  }

  function handFailed() {
    showHand("idle", text.helpUnavailable);
  }

  helpButton?.addEventListener("click", () => {
    if (helpButton.dataset.state !== "idle") return; // already on its way, or raised
    if (!socket || !socket.send({ type: "hand" })) {
      handFailed();
      return;
    }
    showHand("sending", text.helpSending);
    handTimer = setTimeout(handFailed, HAND_ANSWER_MS);
  });

  // Frames every exam page handles the same way; true when taken.
  function sharedFrame(frame) {
    switch (frame.type) {
      case "hand":
        if (frame.raised === true) showHand("raised", text.helpRaised);
        else if (frame.raised === false) showHand("idle", text.helpAnswered);
        return true;
      case "announcement":
        announce(frame.text);
        return true;
      case "state":
        // A page opened again (the attempt after the waiting room, a reload) learns whether the
        // pupil's call is still waiting for the teacher; the page handles the rest of `state`.
        if (frame.hand_raised === true && helpButton && helpButton.dataset.state !== "raised") {
          showHand("raised", text.helpRaised);
        } else if (frame.hand_raised === false && helpButton && helpButton.dataset.state === "raised") {
          showHand("idle", "");
        }
        return false;
      case "error":
        // The only frame of these pages without an `ack` is `hand`: an error while it waits is its refusal.
        if (helpButton && helpButton.dataset.state === "sending") handFailed();
        return false;
      default:
        return false;
    }
  }

  // The websocket /ws/exam/<session>/ (static/js/socket.js): heartbeats every 15 s, reconnects, close codes.
  const HEARTBEAT_MS = 15000;
  function connect(options) {
    const { onFrame, onOpen } = options;
    socket = window.KantokuSocket.connect({
      path: config.socket,
      heartbeatMs: HEARTBEAT_MS,
      ...options,
      onFrame: (frame) => {
        if (!sharedFrame(frame) && onFrame) onFrame(frame);
      },
      onOpen: (info) => {
        // A `hand {raised: false}` may have been missed while down: the pupil can ask again.
        if (info.reconnected && helpButton && helpButton.dataset.state !== "idle") showHand("idle", "");
        if (onOpen) onOpen(info);
      },
    });
    return socket;
  }

  return Object.freeze({ config, connect, reloadOnce, afterStop });
})();
