// What the waiting room (static/js/waiting_room.js) and the attempt page (static/js/attempt.js)
// share: the page's configuration (the json_script "exam-config"), the exam socket, and reloading
// without a loop. Plain JS, no build step. Loaded after static/js/socket.js and before the page's
// own script, it gives them window.KantokuExam = {config, connect(options), reloadOnce(reason)}.
"use strict";

window.KantokuExam = (() => {
  const configElement = document.getElementById("exam-config");
  const config = configElement ? JSON.parse(configElement.textContent) : null;

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

  // The websocket /ws/exam/<session>/ (static/js/socket.js): heartbeats every 15 s, reconnects, close codes.
  const HEARTBEAT_MS = 15000;
  function connect(options) {
    return window.KantokuSocket.connect({ path: config.socket, heartbeatMs: HEARTBEAT_MS, ...options });
  }

  return Object.freeze({ config, connect, reloadOnce });
})();
