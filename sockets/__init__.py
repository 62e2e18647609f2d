"""The websocket plumbing every live feature shares (docs/design.md §10).

- `consumers`: the frame consumer base (size limit, parsing, rate limits, the
  bounded re-check of the account, close codes) that proctoring and messaging
  consumers extend;
- `frames`: reading a client's JSON frame safely (size, depth, lone surrogates)
  and strict JSON types for the forms that validate it;
- `publish`: the one broadcast point, after commit;
- `executor`: database work of sockets on a small pool of kept connections,
  off asgiref's single shared thread;
- `process`: this server process's identity and lease, and its periodic tick
  (presence, stale sockets, dead processes' connections);
- `layers`: the embedded channel layer for the single-process default.
"""
