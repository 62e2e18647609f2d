// The waiting room (templates/exams/waiting_room.html). Plain JS, no build step, no inline handlers.
//
// The pupil waits here until the teacher starts the test. The websocket /ws/exam/<session>/ (through
// static/js/exam_shared.js and static/js/socket.js: heartbeats, reconnects, close codes) tells when;
// the server decides where the pupil belongs, and reloading this page takes them there.
"use strict";

(() => {
  const exam = window.KantokuExam;
  if (!exam || !exam.config) {
    return;
  }
  const text = window.KantokuI18n.text;
  const status = document.getElementById("connection-status");
  let startTimer = null;

  function show(state, message) {
    status.dataset.state = state;
    status.textContent = message;
  }

  exam.connect({
    onOpen: () => show("connected", text.connected),
    onDown: () => show("reconnecting", text.reconnecting),
    // 4401 or 4403: the reloaded page signs in again or says why (at most once a minute).
    onStop: (info) =>
      exam.afterStop(info, () => {
        if (!exam.reloadOnce("waiting-refused")) show("refused", text.refused);
      }),
    onFrame: (frame) => {
      // The server decides where the pupil belongs: a reload of this page
      // leads to the test once it has an attempt, home once it has ended.
      if (frame.type === "state" && (frame.attempt || frame.session.status === "ended")) {
        window.location.reload();
      } else if (frame.type === "ended" || (frame.type === "session" && frame.status === "ended")) {
        window.location.reload();
      } else if (frame.type === "session" && frame.status === "running" && startTimer === null) {
        // The `state` with our attempt normally comes first; if it was lost, the
        // reloaded page's new socket starts the attempt (late join).
        startTimer = setTimeout(() => window.location.reload(), 3000);
      }
    },
  });
})();
