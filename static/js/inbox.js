// The inbox socket (/ws/inbox/, docs/protocol.md): the unread badge in the header on every page,
// and live arrival and receipts on the messaging pages. Plain JS, no build step, no inline handlers.
//
// Message bodies arrive as `body_html`, escaped and linkified by the server (messaging/sanitize.py);
// that is the only HTML taken from a frame. Names, times and labels go in with textContent.
// Channel-layer delivery is at-most-once: after a reconnect the open page reloads its list.
// Reconnects and close codes are static/js/socket.js's.
"use strict";

(() => {
  const link = document.getElementById("inbox-link");
  if (!link || !link.dataset.inboxSocket) {
    return;
  }
  const badge = document.getElementById("unread-badge");
  const badgeCount = badge ? badge.querySelector("[data-count]") : null;
  const inbox = document.getElementById("inbox");
  const thread = document.getElementById("thread");
  const threadId = thread ? Number(thread.dataset.threadId) : null;
  const text = window.KantokuI18n.text; // the receipts' words, on a conversation's page
  const STATUS_RANK = { sent: 0, delivered: 1, read: 2 };
  const timeFormat = new Intl.DateTimeFormat("sv-SE", {
    timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  });
  const clockFormat = new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit" });

  let socket = null; // KantokuSocket
  let unreadHere = false; // a message to me arrived on this conversation's page while it was hidden
  let staleList = false; // reconnected: frames may have been missed

  function send(frame) {
    if (socket) {
      socket.send(frame); // dropped while down: the reconnect reloads the list
    }
  }

  function visible() {
    return document.visibilityState === "visible";
  }

  // --- The badge -----------------------------------------------------------------------------

  function showUnread(count) {
    if (!badge || !badgeCount) {
      return;
    }
    badgeCount.textContent = String(count);
    badge.hidden = count <= 0;
    badge.classList.toggle("badge", count > 0); // .badge sets display, which would defeat `hidden`
  }

  // --- A conversation's page -------------------------------------------------------------------

  function timeElement(iso, format) {
    const element = document.createElement("time");
    element.dateTime = iso;
    element.textContent = format.format(new Date(iso));
    return element;
  }

  function messageElement(frame) {
    const item = document.createElement("li");
    item.className = frame.outgoing ? "msg msg-out" : "msg msg-in";
    item.id = `message-${frame.id}`;
    item.dataset.messageId = String(frame.id);
    const meta = document.createElement("div");
    meta.className = "msg-meta";
    const sender = document.createElement("span");
    sender.className = "msg-sender";
    sender.textContent = frame.outgoing ? text.you || frame.sender.name : frame.sender.name;
    meta.append(sender, " ", timeElement(frame.sent_at, timeFormat));
    const body = document.createElement("div");
    body.className = "msg-body";
    body.innerHTML = frame.body_html; // escaped and linkified by the server
    item.append(meta, body);
    if (frame.outgoing) {
      const receipt = document.createElement("div");
      receipt.className = "msg-receipt";
      item.append(receipt);
      showReceipt(item, frame.status, null);
    }
    return item;
  }

  function showReceipt(item, status, at) {
    const receipt = item.querySelector(".msg-receipt");
    if (!receipt) {
      return;
    }
    const current = receipt.dataset.status;
    if (current && current !== status && STATUS_RANK[status] <= STATUS_RANK[current]) {
      return; // a late "delivered" never undoes "read"
    }
    receipt.dataset.status = status;
    receipt.textContent = text[status] || status;
    if (status === "read" && at) {
      receipt.append(" ", timeElement(at, clockFormat));
    }
  }

  function removeDuplicates() {
    const seen = new Set();
    for (const item of document.querySelectorAll("#message-list [data-message-id]")) {
      if (seen.has(item.dataset.messageId)) {
        item.remove();
      } else {
        seen.add(item.dataset.messageId);
      }
    }
  }

  function appendMessage(frame) {
    const list = document.getElementById("message-list");
    if (!list || document.getElementById(`message-${frame.id}`)) {
      return;
    }
    const item = messageElement(frame);
    list.append(item);
    const empty = document.getElementById("no-messages");
    if (empty) {
      empty.remove();
    }
    item.scrollIntoView({ block: "nearest" });
  }

  function markThreadRead() {
    if (thread && visible()) {
      unreadHere = false;
      send({ type: "read", thread: threadId });
    }
  }

  function refresh() {
    if (!window.htmx || !visible()) {
      return; // done when the page is shown again
    }
    staleList = false;
    if (thread) {
      window.htmx.ajax("GET", thread.dataset.refreshUrl, { target: "#message-list-wrap", swap: "outerHTML" });
    } else if (inbox) {
      window.htmx.ajax("GET", inbox.dataset.refreshUrl, { target: "#inbox-lists", swap: "outerHTML" });
    }
  }

  // --- Frames ------------------------------------------------------------------------------------

  const handlers = {
    unread(frame) {
      showUnread(frame.count);
    },
    message(frame) {
      const here = thread && frame.thread === threadId;
      if (here) {
        appendMessage(frame);
      }
      if (!frame.outgoing) {
        if (here && visible()) {
          send({ type: "read", thread: threadId });
        } else {
          send({ type: "delivered", id: frame.id });
          unreadHere = unreadHere || here;
        }
      }
      if (inbox) {
        refresh();
      }
    },
    notice(frame) {
      if (!frame.read) {
        send({ type: "delivered", notice: frame.id });
      }
      if (inbox) {
        refresh();
      }
    },
    receipt(frame) {
      const item = document.getElementById(`message-${frame.id}`);
      if (item) {
        showReceipt(item, frame.status, frame.at);
      }
    },
    error(frame) {
      console.warn("inbox:", frame.code, frame.message);
    },
  };

  function connect() {
    socket = window.KantokuSocket.connect({
      path: link.dataset.inboxSocket,
      onOpen: ({ reconnected }) => {
        // Events between rendering the page (or losing the socket) and now were not seen here.
        if (reconnected || thread || inbox) {
          staleList = true;
          refresh();
        }
      },
      onFrame: (frame) => {
        if (Object.hasOwn(handlers, frame.type)) {
          handlers[frame.type](frame);
        }
      },
      // Signed out (4401) or not allowed (4403): no more retries, no badge.
      onStop: () => showUnread(0),
    });
  }

  document.addEventListener("visibilitychange", () => {
    if (!visible()) {
      return;
    }
    if (staleList) {
      refresh();
    } else if (unreadHere) {
      markThreadRead();
    }
  });

  // The send form (templates/messaging/partials/send_form.html): htmx appends the sent message;
  // the socket may have brought the same one a moment earlier.
  document.addEventListener("htmx:afterSwap", removeDuplicates);
  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    // After an error the server replaced the form (with the text and the error): this one is gone.
    if (form && form.matches && form.matches("form[data-reset-on-success]") && event.detail.successful && form.isConnected) {
      form.reset();
      const field = form.querySelector("textarea");
      if (field) {
        field.focus();
      }
    }
  });

  connect();
})();
