// Taking a test: the attempt page (templates/exams/attempt.html). Plain JS, no build step, no inline handlers.
//
// The server keeps the answers and the clock; this page only shows them.
// - Answers: every choice gets a per-attempt increasing `seq` and goes into a queue in
//   localStorage before it is POSTed; it leaves the queue only when the server says `saved`.
//   A reload, a lost network or a crash sends what is left. The server keeps the answer
//   with the highest seq, so a late, older save never overwrites a newer one.
// - Timer: counts down from the server's remaining_ms with performance.now() (the device
//   clock is not trusted) and is set again by every `state` frame.
// - Websocket /ws/exam/<session>/ through static/js/exam_shared.js and static/js/socket.js
//   (heartbeats, reconnects, close codes): the teacher's warnings and pauses, and integrity
//   signals, which socket.js keeps (in localStorage) and sends again until the server
//   acknowledges them.
// - Preview (config.preview, the author's preview of a version, docs/design.md §3): the same page with
//   no socket, no signals and nothing sent while answering: answers stay in this page's memory and
//   go to the server only with the hand-in, which judges them and stores nothing.
"use strict";

(() => {
  const exam = window.KantokuExam;
  if (!exam || !exam.config) {
    return;
  }
  const config = exam.config;
  const { text, format } = window.KantokuI18n;
  const preview = Boolean(config.preview);
  const previewAnswers = new Map(); // position -> the newest answer given in the preview

  // --- Storage: localStorage, or memory when it is not available (private mode, full) -------
  const memory = new Map();
  const store = {
    get(key, fallback) {
      if (preview) return memory.has(key) ? memory.get(key) : fallback;
      try {
        const raw = window.localStorage.getItem(key);
        return raw === null ? fallback : JSON.parse(raw);
      } catch {
        return memory.has(key) ? memory.get(key) : fallback;
      }
    },
    set(key, value) {
      memory.set(key, value);
      if (preview) return; // a preview keeps nothing on the device
      try {
        window.localStorage.setItem(key, JSON.stringify(value));
      } catch {
        // memory keeps it for this page
      }
    },
    remove(key) {
      memory.delete(key);
      try {
        window.localStorage.removeItem(key);
      } catch {
        // nothing stored
      }
    },
  };

  const prefix = preview ? `kantoku.preview.${config.preview.token}` : `kantoku.exam.${config.attempt}`;
  const queueKey = `${prefix}.queue`;
  const seqKey = `${prefix}.seq`;
  const signalsKey = `${prefix}.signals`;
  const questionArea = document.getElementById("question");
  const offlineBanner = document.getElementById("offline-banner");
  const timeupBanner = document.getElementById("timeup-banner");
  const pausedOverlay = document.getElementById("paused-overlay");
  const warningBanner = document.getElementById("warning-banner");
  const warningText = document.getElementById("warning-text");
  const timerValue = document.getElementById("timer");
  const timerAnnouncement = document.getElementById("timer-announcement");
  const submitForm = document.getElementById("submit-form");
  const submitWait = document.getElementById("submit-wait");
  const fullscreenButton = document.getElementById("fullscreen-button");
  let leaving = false;
  let paused = Boolean(config.paused);
  let socket = null; // KantokuSocket, made once the page's handlers exist
  let ignoreFocusChanges = false; // our own confirm dialog is not the pupil leaving the page

  function goToResult(url) {
    if (leaving) return;
    leaving = true;
    // Whatever is still queued can no longer count: the server has finished the attempt.
    store.remove(queueKey);
    store.remove(seqKey);
    socket?.forgetReliable();
    window.location.assign(url || config.resultUrl);
  }

  // --- Connection banner: shown while answers cannot reach the server ---
  let saveProblem = null; // null, "offline", "server" or "busy" (over the rate limit: sent again later)
  const problemText = { server: text.serverDown, busy: text.busy };
  function showConnectionBanner() {
    const offline = navigator.onLine === false || saveProblem === "offline";
    const message = offline ? text.offline : problemText[saveProblem] || "";
    offlineBanner.textContent = message;
    offlineBanner.hidden = !message;
  }
  window.addEventListener("offline", showConnectionBanner);

  // --- Question navigation ---
  function navButton(position) {
    return document.querySelector(`.question-nav button[data-position="${position}"]`);
  }

  function loadQueue() {
    const queue = store.get(queueKey, []);
    return Array.isArray(queue) ? queue : [];
  }

  function markNav(position, answered) {
    const button = navButton(position);
    if (!button) return;
    const pending = loadQueue().some((entry) => entry.position === position);
    button.classList.toggle("answered", answered);
    button.classList.toggle("pending", pending);
    const state = button.querySelector(".nav-state");
    if (state) {
      state.textContent = `: ${answered ? text.answered : text.notAnswered}${pending ? `, ${text.notSent}` : ""}`;
    }
  }

  function markPending() {
    const pending = new Set(loadQueue().map((entry) => entry.position));
    document.querySelectorAll(".question-nav button[data-position]").forEach((button) => {
      const position = Number(button.dataset.position);
      markNav(position, button.classList.contains("answered"));
      button.classList.toggle("pending", pending.has(position));
    });
  }

  function currentQuestion() {
    return questionArea.querySelector(".question[data-position]");
  }

  function loadQuestion(position) {
    const button = navButton(position);
    if (button) {
      window.htmx.ajax("GET", button.getAttribute("hx-get"), { target: "#question", swap: "innerHTML" });
    }
  }

  let questionToRetry = null;
  document.body.addEventListener("htmx:sendError", (event) => {
    if (event.detail.target !== questionArea) return;
    questionToRetry = event.detail.requestConfig.path;
    saveProblem = "offline";
    showConnectionBanner();
    const note = document.createElement("p");
    note.className = "question-offline";
    note.textContent = text.questionOffline;
    questionArea.querySelector(".question-offline")?.remove();
    questionArea.prepend(note);
  });

  function retryQuestion() {
    if (questionToRetry === null) return;
    const path = questionToRetry;
    questionToRetry = null;
    window.htmx.ajax("GET", path, { target: "#question", swap: "innerHTML" });
  }

  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target !== questionArea) return;
    questionToRetry = null;
    const question = currentQuestion();
    document.querySelectorAll(".question-nav button[aria-current]").forEach((b) => b.removeAttribute("aria-current"));
    if (!question) return;
    const position = Number(question.dataset.position);
    navButton(position)?.setAttribute("aria-current", "step");
    // What this device chose but has not sent yet is newer than what the server showed.
    const queued =
      loadQueue().find((entry) => entry.position === position) || (preview ? previewAnswers.get(position) : undefined);
    if (queued && "response" in queued) {
      showResponse(question, queued.response);
    } else if (queued) {
      question.querySelectorAll('input[name="choice"]').forEach((input) => {
        input.checked = queued.choice !== null && Number(input.value) === queued.choice;
      });
    }
    const url = new URL(window.location.href);
    url.searchParams.set("q", String(position + 1));
    window.history.replaceState(null, "", url);
    if (event.detail.requestConfig && event.detail.requestConfig.elt !== questionArea) {
      question.querySelector(".question-heading")?.focus({ preventScroll: true });
      question.scrollIntoView({ block: "start", behavior: "smooth" });
    }
  });

  // --- Answers: queue, send, retry ---
  function nextSeq() {
    const seq = Math.max(Number(store.get(seqKey, 0)) || 0, config.maxSeq) + 1;
    store.set(seqKey, seq);
    return seq;
  }

  function answer(position, choice) {
    enqueue({ position, choice, seq: nextSeq() });
  }

  // The other kinds (docs/design.md §3): `response` is a list of indexes into the choice order
  // (multiple choice, ordering) or the text typed (short answer); null clears. The server judges.
  function answerResponse(position, response) {
    enqueue({ position, response, seq: nextSeq() });
  }

  function enqueue(entry) {
    const queue = loadQueue().filter((queued) => queued.position !== entry.position);
    queue.push(entry);
    store.set(queueKey, queue);
    markNav(entry.position, isAnswered(entry));
    flush();
  }

  function isAnswered(entry) {
    return "response" in entry ? entry.response !== null : entry.choice !== null;
  }

  function responseOf(form) {
    const kind = form.dataset.kind;
    if (kind === "short") {
      const typed = form.querySelector('input[name="text"]').value;
      return typed.trim() ? typed : null;
    }
    if (kind === "ordering") {
      return Array.from(form.querySelectorAll(".ordering li"), (item) => Number(item.dataset.index));
    }
    const chosen = Array.from(form.querySelectorAll('input[name="choices"]:checked'), (input) => Number(input.value));
    return chosen.length ? chosen : null;
  }

  function showResponse(question, response) {
    const form = question.querySelector(".answer-form");
    if (!form) return;
    const kind = form.dataset.kind;
    if (kind === "short") {
      form.querySelector('input[name="text"]').value = typeof response === "string" ? response : "";
    } else if (kind === "ordering" && Array.isArray(response)) {
      const list = form.querySelector(".ordering");
      for (const index of response) {
        const item = list.querySelector(`li[data-index="${index}"]`);
        if (item) list.appendChild(item);
      }
    } else if (kind === "multiple") {
      form.querySelectorAll('input[name="choices"]').forEach((input) => {
        input.checked = Array.isArray(response) && response.includes(Number(input.value));
      });
    }
  }

  function dequeue(entry) {
    const queue = loadQueue();
    store.set(
      queueKey,
      queue.filter((queued) => !(queued.position === entry.position && queued.seq === entry.seq)),
    );
  }

  // "done": saved (or superseded on the server); "drop": can never be saved; "retry": later;
  // "wait": the test is paused; "leave": this page is going away.
  async function post(entry) {
    if (preview) {
      previewAnswers.set(entry.position, entry);
      return "done";
    }
    let response;
    try {
      const options = {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrfToken },
        body: JSON.stringify(entry),
      };
      if (window.AbortSignal && AbortSignal.timeout) options.signal = AbortSignal.timeout(15000);
      response = await fetch(config.answerUrl, options);
    } catch {
      saveProblem = "offline";
      return "retry";
    }
    const isJson = (response.headers.get("Content-Type") || "").includes("application/json");
    const body = isJson ? await response.json().catch(() => null) : null;
    if (response.ok && body && body.saved) {
      saveProblem = null;
      return "done";
    }
    if (response.status === 410) {
      goToResult(body && body.result_url);
      return "leave";
    }
    if (response.status === 409 && body && body.error === "paused") {
      saveProblem = null;
      return "wait";
    }
    if (response.status === 400) {
      saveProblem = null;
      return "drop";
    }
    if (response.status === 429) {
      // Too many saves at once (config/ratelimits.py): the answer stays queued; send it when the server says.
      saveProblem = "busy";
      const seconds = Number(body && body.retry_after) || Number(response.headers.get("Retry-After")) || 5;
      retryNotBefore = Math.min(60, Math.max(1, seconds)) * 1000;
      return "retry";
    }
    if (response.status >= 500 || response.status === 409) {
      saveProblem = "server";
      return "retry";
    }
    // Signed out, or the CSRF token changed: the reloaded page has a fresh one (or asks to sign in).
    if (exam.reloadOnce("answer")) return "leave";
    saveProblem = "server";
    return "retry";
  }

  let flushing = false;
  let retryTimer = null;
  let retries = 0;
  let retryNotBefore = 0; // ms the server asked us to wait (a 429), else 0
  let waitingForResume = false;

  async function flush() {
    if (flushing || leaving) return;
    flushing = true;
    clearTimeout(retryTimer);
    retryTimer = null;
    try {
      for (;;) {
        const queue = loadQueue();
        if (queue.length === 0) break;
        const entry = queue.reduce((oldest, queued) => (queued.seq < oldest.seq ? queued : oldest));
        const outcome = await post(entry);
        if (outcome === "leave") return;
        if (outcome === "done" || outcome === "drop") {
          dequeue(entry);
          retries = 0;
          continue;
        }
        if (outcome === "wait") {
          waitingForResume = true;
        } else {
          // Spread over a second, so that a class told to wait does not come back at the same instant.
          const wait = retryNotBefore ? retryNotBefore + Math.random() * 1000 : window.KantokuSocket.delay(retries);
          retryNotBefore = 0;
          retryTimer = setTimeout(flush, wait);
          retries += 1;
        }
        break;
      }
    } finally {
      flushing = false;
      showConnectionBanner();
      markPending();
      flushed();
    }
  }

  window.addEventListener("online", () => {
    retries = 0;
    showConnectionBanner();
    flush();
    retryQuestion();
  });

  document.addEventListener("change", (event) => {
    const input = event.target;
    if (input.matches('.answer-form input[name="choice"]')) {
      answer(Number(input.form.dataset.position), Number(input.value));
    } else if (input.matches('.answer-form input[name="choices"], .answer-form input[name="text"]')) {
      answerResponse(Number(input.form.dataset.position), responseOf(input.form));
    }
  });

  // A short answer is also saved a moment after typing stops, not only when the field is left.
  let typingTimer = null;
  document.addEventListener("input", (event) => {
    const input = event.target;
    if (!input.matches('.answer-form input[name="text"]')) return;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => answerResponse(Number(input.form.dataset.position), responseOf(input.form)), 800);
  });

  // The order as it stands is the pupil's answer, moved or not (the first order shown is never the right one).
  document.addEventListener("click", (event) => {
    const keep = event.target.closest(".keep-order");
    if (!keep) return;
    const form = keep.closest(".answer-form");
    answerResponse(Number(form.dataset.position), responseOf(form));
  });

  document.addEventListener("click", (event) => {
    const move = event.target.closest(".ordering .move-up, .ordering .move-down");
    if (!move) return;
    const item = move.closest("li");
    const up = move.classList.contains("move-up");
    const other = up ? item.previousElementSibling : item.nextElementSibling;
    if (!other) return;
    item.parentNode.insertBefore(up ? item : other, up ? other : item);
    move.focus();
    const form = move.closest(".answer-form");
    answerResponse(Number(form.dataset.position), responseOf(form));
  });

  document.addEventListener("click", (event) => {
    const clear = event.target.closest(".clear-answer");
    if (!clear) return;
    const form = clear.closest(".answer-form");
    const position = Number(form.dataset.position);
    const kind = form.dataset.kind;
    if (kind === "short" || kind === "multiple") {
      form.querySelectorAll('input[name="choices"]').forEach((input) => {
        input.checked = false;
      });
      const field = form.querySelector('input[name="text"]');
      if (field) field.value = "";
      answerResponse(position, null);
      return;
    }
    if (kind === "ordering") {
      answerResponse(position, null);
      return;
    }
    const checked = form.querySelector('input[name="choice"]:checked');
    if (!checked) return;
    checked.checked = false;
    answer(position, null);
  });

  // --- Submit: ask first, and send every queued answer before handing in ---
  let submitting = false;
  let onFlushed = null;
  function flushed() {
    if (onFlushed && !leaving) onFlushed();
  }

  submitForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (submitting) return;
    const unanswered = document.querySelectorAll(".question-nav button[data-position]:not(.answered)").length;
    let question = text.confirmSubmit;
    if (unanswered > 0) {
      question = `${format(text.confirmUnanswered, { count: unanswered })}\n${question}`;
    }
    ignoreFocusChanges = true;
    const sure = window.confirm(question);
    ignoreFocusChanges = false;
    if (!sure) return;
    submitting = true;
    const handIn = () => {
      if (loadQueue().length > 0) {
        submitWait.textContent = text.waitForSending;
        submitWait.hidden = false;
        return;
      }
      onFlushed = null;
      leaving = true;
      store.remove(queueKey);
      if (preview) submitForm.elements.answers.value = JSON.stringify(Array.from(previewAnswers.values()));
      submitForm.submit();
    };
    onFlushed = handIn;
    if (loadQueue().length === 0) {
      handIn();
    } else {
      retries = 0;
      flush();
    }
  });

  // --- Timer: the server's remaining time, counted down locally ---
  const timer = { remaining: config.remainingMs, base: performance.now(), running: !paused };
  let announced = { five: config.remainingMs <= 300000, one: config.remainingMs <= 60000 };
  let timeIsUp = false;

  function remainingNow() {
    if (!timer.running) return timer.remaining;
    return Math.max(0, timer.remaining - (performance.now() - timer.base));
  }

  function syncTimer(remainingMs, running) {
    timer.remaining = Math.max(0, remainingMs);
    timer.base = performance.now();
    timer.running = running;
    if (remainingMs > 300000) announced = { five: false, one: false };
    else if (remainingMs > 60000) announced.one = false;
    if (remainingMs > 0 && timeIsUp) {
      timeIsUp = false;
      timeupBanner.hidden = true;
      questionArea.inert = false;
    }
    showTime();
  }

  function stopTimer() {
    timer.remaining = remainingNow();
    timer.running = false;
    showTime();
  }

  function showTime() {
    const ms = remainingNow();
    const total = Math.ceil(ms / 1000);
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const seconds = String(total % 60).padStart(2, "0");
    timerValue.textContent = hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
    timerValue.classList.toggle("low", ms <= 60000);
    timerValue.classList.toggle("soon", ms <= 300000 && ms > 60000);
    if (timer.running && !announced.five && ms <= 300000 && ms > 60000) {
      announced.five = true;
      timerAnnouncement.textContent = text.fiveMinutes;
    }
    if (timer.running && !announced.one && ms <= 60000 && ms > 0) {
      announced.one = true;
      timerAnnouncement.textContent = text.oneMinute;
    }
    if (timer.running && ms <= 0 && !timeIsUp) {
      timeUp();
    }
  }

  // The server finishes the attempt at its deadline; the reloaded page shows the result
  // (or, if this device's clock ran fast, the time that is really left).
  function timeUp() {
    if (preview) {
      // Nothing is handed in by itself: the author sees that a pupil's time would be up.
      timeIsUp = true;
      timeupBanner.textContent = text.previewTimeUp;
      timeupBanner.hidden = false;
      return;
    }
    timeIsUp = true;
    timeupBanner.textContent = text.timeUp;
    timeupBanner.hidden = false;
    questionArea.inert = true;
    flush();
    setTimeout(() => {
      if (!leaving) window.location.reload();
    }, 1500);
  }

  setInterval(showTime, 250);
  showTime();

  // --- Pause and resume by the teacher ---
  function setPaused(now) {
    if (now === paused) return;
    paused = now;
    pausedOverlay.hidden = !paused;
    if (paused) {
      stopTimer();
      // The clock stands still, so the question is not shown either.
      const question = currentQuestion();
      if (question) {
        questionArea.dataset.resumePosition = question.dataset.position;
        questionArea.replaceChildren();
      }
    } else {
      timer.base = performance.now();
      timer.running = true;
      // The question shown before the pause, or the one asked for while paused.
      const note = questionArea.querySelector("[data-paused-position]");
      const position = questionArea.dataset.resumePosition ?? (note ? note.dataset.pausedPosition : null);
      delete questionArea.dataset.resumePosition;
      if (position !== null) loadQuestion(Number(position));
      if (waitingForResume) {
        waitingForResume = false;
        flush();
      }
    }
  }

  document.getElementById("warning-dismiss").addEventListener("click", () => {
    warningBanner.hidden = true;
  });

  // --- Integrity signals: kept until acknowledged ---
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // Leaving the page (a reload, the result page) hides it too; that is not the pupil looking away,
  // and the server sees the connection go and come back anyway.
  let unloading = false;
  window.addEventListener("pagehide", () => {
    unloading = true;
  });
  window.addEventListener("pageshow", () => {
    unloading = false;
  });

  function signal(kind, durationMs) {
    if (leaving || unloading || preview) return;
    const frame = { type: "signal", kind, id: newId(), client_ts: new Date().toISOString() };
    if (durationMs !== undefined && durationMs !== null) {
      frame.duration_ms = Math.min(86400000, Math.max(0, Math.round(durationMs)));
    }
    socket.sendReliable(frame); // kept in localStorage and sent again until the server acks it
  }

  let blurredAt = null;
  window.addEventListener("blur", () => {
    if (ignoreFocusChanges || blurredAt !== null) return;
    blurredAt = performance.now();
    signal("focus_lost");
  });
  window.addEventListener("focus", () => {
    if (blurredAt === null) return;
    signal("focus_returned", performance.now() - blurredAt);
    blurredAt = null;
  });

  let hiddenAt = null;
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") {
      hiddenAt = performance.now();
      signal("tab_hidden");
    } else if (hiddenAt !== null) {
      signal("tab_visible", performance.now() - hiddenAt);
      hiddenAt = null;
    }
  });

  let fullscreenExitedAt = null;
  document.addEventListener("fullscreenchange", () => {
    if (document.fullscreenElement) {
      // Only coming back counts: going full screen the first time is not a signal.
      if (fullscreenExitedAt !== null) {
        signal("fullscreen_enter", performance.now() - fullscreenExitedAt);
        fullscreenExitedAt = null;
      }
    } else {
      fullscreenExitedAt = performance.now();
      signal("fullscreen_exit");
    }
    fullscreenButton.hidden = !document.fullscreenEnabled || Boolean(document.fullscreenElement);
  });
  fullscreenButton.hidden = !document.fullscreenEnabled || Boolean(document.fullscreenElement);
  fullscreenButton.addEventListener("click", () => {
    document.documentElement.requestFullscreen().catch(() => {});
  });

  // Copying, the context menu and printing are discouraged, and logged either way.
  for (const [type, kind, prevent] of [
    ["copy", "copy", true],
    ["cut", "cut", true],
    ["paste", "paste", false],
    ["contextmenu", "context_menu", true],
  ]) {
    document.addEventListener(type, (event) => {
      if (prevent) event.preventDefault();
      signal(kind);
    });
  }
  window.addEventListener("beforeprint", () => signal("print"));

  // --- Frames from the server ---
  function onFrame(frame) {
    switch (frame.type) {
      case "state": {
        if (frame.session && frame.session.status === "ended") {
          goToResult();
          return;
        }
        const attempt = frame.attempt;
        if (!attempt || attempt.id !== config.attempt) return;
        if (attempt.status === "finished") {
          goToResult();
          return;
        }
        setPaused(attempt.status === "paused");
        syncTimer(attempt.remaining_ms, attempt.status === "running");
        break;
      }
      case "paused":
        setPaused(true);
        break;
      case "resumed":
        setPaused(false); // the `state` that follows sets the clock
        break;
      case "ended":
        goToResult();
        break;
      case "session":
        if (frame.status === "ended") goToResult();
        break;
      case "warning":
        warningText.textContent = frame.text;
        warningBanner.hidden = false;
        break;
      default:
        break; // `error` frames: unacknowledged signals are sent again later (socket.js)
    }
  }

  socket = preview ? null : exam.connect({
    storageKey: signalsKey, // signals survive a reload or a crash until acknowledged
    onFrame,
    // socket.js sends the unacknowledged signals again by itself; the server sends `state`.
    onOpen: () => {
      retries = 0;
      flush();
      retryQuestion();
    },
    onStop: (info) => {
      // Refused: the session has ended (or we are no longer in it), or signed out. The reloaded page knows which.
      exam.afterStop(info, () => exam.reloadOnce("attempt-refused"));
    },
  });

  // Answers given on this device but not sent yet (a reload, a crash) count as given.
  for (const entry of loadQueue()) markNav(entry.position, isAnswered(entry));
  markPending();
  showConnectionBanner();
  flush();
})();
