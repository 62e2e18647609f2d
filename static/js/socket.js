// One websocket client for every page: the exam socket (waiting room, attempt), the proctor's
// dashboard and the inbox. Plain JS, no build step. It is loaded before the page scripts and
// gives them one global, window.KantokuSocket (docs/protocol.md has the frames).
//
// Reconnecting. After a lost connection or a failed attempt the client waits
//   delay = random(0, min(cap, base · 2^attempt))    ("full jitter"; base 1 s, cap 30 s, 10 s for
//                                                     the few teachers' dashboards)
// where `attempt` counts the failures since the last connection that stayed open for
// `stableMs` (20 s). So after a server restart 2,000 pupils spread their reconnects over the
// whole window instead of all coming back in the same second, and a server that accepts and
// drops at once is not hammered. The browser's `online` event starts again at attempt 0 at
// once, still jittered by up to `onlineJitterMs` (1 s): a whole class comes back on the same
// Wi-Fi. A socket that has not opened after `connectTimeoutMs` (15 s) counts as failed.
//
// Close codes (the only place that knows them):
//   4401 signed out      stop for good; the page goes to the sign-in page or reloads (onStop).
//   4403 not allowed     stop for good; the page reloads once (exam) or says so (onStop).
//   4408 idle            the server heard nothing from this socket for 45 s (a tab whose timers
//                        were held back): reconnect with backoff.
//   4429 too slow        the server dropped a socket that could not keep up with its frames:
//                        reconnect with backoff; the snapshot/state on connect resyncs the page.
//   anything else        (1000, 1001, 1006, 1011, 1012 restart, ...) reconnect with backoff.
// A handshake the server refuses reaches the browser as 1006 (daphne answers HTTP 403 to a close
// before accept), which cannot be told from a server that is down: it is retried with backoff,
// never reloaded in a loop (a reload while the server is down would leave an error page).
//
// Heartbeats (option `heartbeatMs`, the exam socket: 15 s): a {"type": "heartbeat", "id"} every
// interval; a heartbeat still without its `ack` when the next one is due means a dead connection
// (a network change can leave a socket open that reaches nobody): drop it and reconnect.
//
// Reliable frames: sendReliable(frame) for frames with an `id` that the server answers with an
// `ack` of the same id (integrity signals). They are kept, oldest first and at most
// `reliableLimit` (the newest 500), until acknowledged; sent again after every reconnect, and
// again on the same connection when no ack came within `resendMs`, at most `burst` at a time
// (the server's rate limit takes bursts of 20). With `storageKey` they are kept in localStorage,
// so that a reload or a crash does not lose them. Ids are compared without regard to case (the
// server answers with canonical lower-case UUIDs).
//
// API: KantokuSocket.connect({path, ...options, ...hooks}) returns {send(frame) -> sent?,
// sendReliable(frame), forgetReliable(), isOpen(), close()}; KantokuSocket.delay(attempt, base,
// cap) is the backoff above; KantokuSocket.CLOSE names the codes.
//
// Hooks (all optional): onConnecting(), onOpen({reconnected}) — the server sends its snapshot,
// state or unread by itself; onUp({reconnected}) and onDown({code, reason, wasOpen, retryInMs})
// for the page's connection banner (retryInMs is null when the client stopped); onStop({code})
// after 4401/4403; onFrame(frame) for every JSON object frame with a string `type`, except the
// acks the client consumed (its heartbeats' and its reliable frames').
"use strict";

window.KantokuSocket = (() => {
  const CLOSE = Object.freeze({ SIGNED_OUT: 4401, NOT_ALLOWED: 4403, IDLE: 4408, TOO_SLOW: 4429 });
  const STOP_CODES = new Set([CLOSE.SIGNED_OUT, CLOSE.NOT_ALLOWED]);
  const DEFAULTS = Object.freeze({
    baseMs: 1000,
    capMs: 30000,
    stableMs: 20000,
    onlineJitterMs: 1000,
    connectTimeoutMs: 15000,
    heartbeatMs: 0, // 0: no heartbeats
    reliableLimit: 500,
    resendMs: 10000,
    burst: 10,
    burstGapMs: 2000,
    storageKey: null,
  });

  // Full jitter: anywhere between 0 and the exponential ceiling.
  function delay(attempt, baseMs = DEFAULTS.baseMs, capMs = DEFAULTS.capMs) {
    const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt));
    return Math.random() * ceiling;
  }

  function report(error) {
    if (typeof window.reportError === "function") {
      window.reportError(error);
    } else {
      console.error(error);
    }
  }

  function connect(options) {
    const settings = { ...DEFAULTS, ...options };
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${scheme}//${window.location.host}${settings.path}`;

    let socket = null; // the current WebSocket, connecting or open; null while down
    let attempt = 0; // failures since the last stable connection
    let stopped = false;
    let everOpened = false;
    let connection = 0; // number of the current connection, for the reliable frames
    let retryTimer = null;
    let connectTimer = null;
    let stableTimer = null;
    let heartbeatTimer = null;
    let pumpTimer = null;
    let heartbeatNumber = 0;
    let awaitingHeartbeat = null;
    const reliable = new Map(); // lower-case id -> {frame, sentOn, sentAt}, oldest first

    function hook(name, argument) {
      const handler = settings[name];
      if (typeof handler !== "function") return;
      try {
        handler(argument);
      } catch (error) {
        report(error); // a page's bug must not stop the socket
      }
    }

    // --- Reliable frames ---------------------------------------------------------------------

    function keyOf(id) {
      return String(id).toLowerCase();
    }

    function save() {
      if (!settings.storageKey) return;
      try {
        if (reliable.size === 0) {
          window.localStorage.removeItem(settings.storageKey);
        } else {
          const frames = Array.from(reliable.values(), (item) => item.frame);
          window.localStorage.setItem(settings.storageKey, JSON.stringify(frames));
        }
      } catch {
        // private mode or full: the queue in memory still holds them for this page
      }
    }

    function keep(frame) {
      const key = keyOf(frame.id);
      reliable.delete(key); // the same id again goes to the end
      reliable.set(key, { frame, sentOn: 0, sentAt: 0 });
      while (reliable.size > settings.reliableLimit) {
        reliable.delete(reliable.keys().next().value); // the oldest go first
      }
    }

    function load() {
      if (!settings.storageKey) return;
      let frames = null;
      try {
        frames = JSON.parse(window.localStorage.getItem(settings.storageKey));
      } catch {
        return;
      }
      if (!Array.isArray(frames)) return;
      for (const frame of frames) {
        if (frame && typeof frame === "object" && frame.id !== undefined && frame.id !== null) keep(frame);
      }
    }

    function acknowledge(id) {
      if (!reliable.delete(keyOf(id))) return false;
      save();
      return true;
    }

    // Send what is due: never sent on this connection, or sent more than resendMs ago without an ack.
    function pump() {
      clearTimeout(pumpTimer);
      pumpTimer = null;
      if (!isOpen() || reliable.size === 0) return;
      const now = performance.now();
      let sent = 0;
      let next = Infinity;
      for (const item of reliable.values()) {
        if (item.sentOn === connection && now - item.sentAt < settings.resendMs) {
          next = Math.min(next, item.sentAt + settings.resendMs - now);
          continue;
        }
        if (sent >= settings.burst) {
          next = Math.min(next, settings.burstGapMs);
          break;
        }
        if (!send(item.frame)) return;
        item.sentOn = connection;
        item.sentAt = now;
        sent += 1;
        next = Math.min(next, settings.resendMs);
      }
      if (next !== Infinity) pumpTimer = setTimeout(pump, Math.max(250, next));
    }

    function sendReliable(frame) {
      if (!frame || typeof frame !== "object" || frame.id === undefined || frame.id === null) {
        throw new TypeError("sendReliable needs a frame with an id");
      }
      keep(frame);
      save();
      pump(); // nothing goes out while down: kept for the next connection (or the next page)
    }

    function forgetReliable() {
      reliable.clear();
      clearTimeout(pumpTimer);
      pumpTimer = null;
      save();
    }

    // --- The connection ------------------------------------------------------------------------

    function isOpen() {
      return socket !== null && socket.readyState === WebSocket.OPEN;
    }

    function send(frame) {
      if (!isOpen()) return false;
      socket.send(JSON.stringify(frame));
      return true;
    }

    function clearConnectionTimers() {
      clearTimeout(connectTimer);
      clearTimeout(stableTimer);
      clearInterval(heartbeatTimer);
      clearTimeout(pumpTimer);
      connectTimer = stableTimer = heartbeatTimer = pumpTimer = null;
      awaitingHeartbeat = null;
    }

    function open() {
      clearTimeout(retryTimer);
      retryTimer = null;
      if (stopped) return;
      const current = new WebSocket(url);
      socket = current;
      let wasOpen = false;
      hook("onConnecting");
      connectTimer = setTimeout(() => {
        if (current === socket && current.readyState === WebSocket.CONNECTING) drop("connect timeout");
      }, settings.connectTimeoutMs);

      current.addEventListener("open", () => {
        if (current !== socket) return;
        wasOpen = true;
        clearTimeout(connectTimer);
        connectTimer = null;
        connection += 1;
        const reconnected = everOpened;
        everOpened = true;
        stableTimer = setTimeout(() => {
          attempt = 0;
        }, settings.stableMs);
        if (settings.heartbeatMs > 0) heartbeatTimer = setInterval(heartbeat, settings.heartbeatMs);
        pump();
        hook("onOpen", { reconnected });
        hook("onUp", { reconnected });
      });

      current.addEventListener("message", (event) => {
        if (current !== socket) return;
        let frame;
        try {
          frame = JSON.parse(event.data);
        } catch {
          return;
        }
        if (!frame || typeof frame !== "object" || typeof frame.type !== "string") return;
        if (frame.type === "ack" && typeof frame.id === "string") {
          if (frame.id === awaitingHeartbeat) {
            awaitingHeartbeat = null;
            return;
          }
          if (acknowledge(frame.id)) return;
        }
        hook("onFrame", frame);
      });

      current.addEventListener("close", (event) => {
        if (current !== socket) return; // one we dropped ourselves
        lost(event.code, event.reason, wasOpen);
      });

      // The client gives up on this socket itself (no ack, no open): close it and carry on.
      function drop(reason) {
        socket = null;
        try {
          current.close();
        } catch {
          // already closing
        }
        lost(1006, reason, wasOpen);
      }

      // A heartbeat not acknowledged by the time the next one is due means a dead connection.
      function heartbeat() {
        if (current !== socket) return;
        if (awaitingHeartbeat !== null) {
          drop("no heartbeat ack");
          return;
        }
        heartbeatNumber += 1;
        awaitingHeartbeat = `hb-${heartbeatNumber}`;
        send({ type: "heartbeat", id: awaitingHeartbeat });
      }
    }

    function lost(code, reason, wasOpen) {
      socket = null;
      clearConnectionTimers();
      if (STOP_CODES.has(code)) {
        stopped = true;
        hook("onDown", { code, reason, wasOpen, retryInMs: null });
        hook("onStop", { code });
        return;
      }
      if (stopped) return; // close() by the page
      const wait = delay(attempt, settings.baseMs, settings.capMs);
      attempt += 1;
      retryTimer = setTimeout(open, wait);
      hook("onDown", { code, reason, wasOpen, retryInMs: wait });
    }

    // Back online: try now (a little jittered), from the start of the backoff.
    function online() {
      if (stopped || socket !== null) return;
      clearTimeout(retryTimer);
      attempt = 0;
      retryTimer = setTimeout(open, Math.random() * settings.onlineJitterMs);
    }

    function close() {
      stopped = true;
      window.removeEventListener("online", online);
      clearTimeout(retryTimer);
      retryTimer = null;
      clearConnectionTimers();
      const current = socket;
      socket = null;
      if (current) current.close(1000);
    }

    load();
    window.addEventListener("online", online);
    open();

    return { send, sendReliable, forgetReliable, isOpen, close };
  }

  return Object.freeze({ connect, delay, CLOSE, DEFAULTS });
})();
