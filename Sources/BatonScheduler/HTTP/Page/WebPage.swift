import Hummingbird

/// `GET /`: one self-contained page over the JSON API for the people around a
/// workflow: follow runs live, answer a question, read a report, pause, resume,
/// cancel, terminate, retry, fork, submit. No build step and no third-party script:
/// it is served from these strings, and all data is inserted as text (never as
/// HTML). It is driven by the API's Server-Sent Events streams, read with `fetch` so
/// that the key travels as a header (an `EventSource` cannot send one). The page asks
/// for an API key and keeps it in the tab's session storage only; it sends it as a
/// bearer token, never as a cookie, so another site's page cannot make the browser
/// send it. The page may not be framed (clickjacking).
enum WebPage {
    static func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in
            Response(
                status: .ok,
                headers: [
                    .contentType: "text/html; charset=utf-8",
                    .contentSecurityPolicy:
                        "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
                ],
                body: .init(byteBuffer: ByteBuffer(string: html)))
        }
    }

    static let html = head + body + "<script>\n" + script + "</script>\n</body>\n</html>\n"

    static let head = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Baton</title>
        <style>
          [hidden] { display: none !important; }
          body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
          header { background: #1d2330; color: #fff; padding: 10px 14px; display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; }
          header h1 { font-size: 17px; margin: 0; }
          main { display: grid; grid-template-columns: minmax(320px, 1fr) 1.5fr; gap: 14px; padding: 14px; }
          @media (max-width: 760px) { main { grid-template-columns: 1fr; padding: 8px; gap: 8px; } #signin input { width: 11em !important; }
            #detail { order: -1; } #detail:empty { display: none; } }
          section { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: 12px; overflow: auto; min-width: 0; }
          table { border-collapse: collapse; width: 100%; }
          td, th { text-align: left; padding: 5px 6px; border-bottom: 1px solid #eef0f3; vertical-align: top; }
          tr.row { cursor: pointer; } tr.row:hover, tr.selected { background: #eef4ff; }
          .status { font-weight: 600; } .awaiting_input, .paused { color: #b55d00; } .completed { color: #16794c; }
          .failed, .timed_out { color: #b42318; } .cancelled, .cancelling { color: #667085; }
          .running, .dispatched, .pending, .backing_off { color: #175cd3; }
          .bar { height: 8px; background: #eef0f3; border-radius: 4px; overflow: hidden; }
          .bar > div { height: 100%; background: #175cd3; transition: width .3s; }
          .question { border: 2px solid #f5a524; border-radius: 6px; padding: 10px; margin: 10px 0; background: #fffaf0; }
          .waiting-child { border: 2px dashed #98a2b3; border-radius: 6px; padding: 10px; margin: 10px 0; background: #f9fafb; }
          pre { white-space: pre-wrap; word-break: break-word; background: #f6f7f9; padding: 8px; border-radius: 4px; }
          .report { border-top: 1px solid #eef0f3; margin-top: 8px; } .report h1, .report h2, .report h3 { margin: 12px 0 4px; }
          button { margin: 4px 6px 4px 0; padding: 5px 12px; border-radius: 4px; border: 1px solid #98a2b3; background: #fff; cursor: pointer; }
          button.primary { background: #175cd3; color: #fff; border-color: #175cd3; } button.danger { color: #b42318; border-color: #b42318; }
          textarea, input, select { font: inherit; width: 100%; box-sizing: border-box; margin: 4px 0; }
          .muted { color: #667085; } .error { color: #b42318; } dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
          dt { color: #667085; } .live { color: #16794c; } .offline { color: #b42318; }
          .timeline td:first-child { white-space: nowrap; } .nodes span { display: inline-block; margin: 2px; padding: 2px 8px; border-radius: 10px; background: #eef0f3; }
          .nodes span.current { background: #175cd3; color: #fff; }
          ul.tree { padding-left: 18px; margin: 4px 0; }
        </style>
        </head>

        """#

    static let body = #"""
        <body>
        <header><h1>Baton</h1>
          <label>status <select id="filter">
            <option value="">all</option><option>awaiting_input</option><option>running</option><option>paused</option>
            <option>completed</option><option>failed</option><option>cancelled</option><option>timed_out</option>
          </select></label>
          <span id="connection" class="muted"></span>
          <span class="muted" id="note"></span>
          <span style="margin-left:auto" id="who"></span>
          <form id="signin" style="display:flex; gap:6px"><input id="key" type="password" autocomplete="off" placeholder="API key (bk_…)" style="width:16em">
            <button class="primary" type="submit">Sign in</button></form>
          <button id="signout" hidden>Sign out</button>
        </header>
        <main>
          <section>
            <table><thead><tr><th>workflow</th><th>agent</th><th>status</th><th>progress</th></tr></thead>
            <tbody id="list"></tbody></table>
            <details><summary>Submit a workflow</summary>
              <select id="agent"></select>
              <div id="agentHelp" class="muted"></div>
              <textarea id="input" rows="4">{"request": "Why are deliveries late?"}</textarea>
              <button class="primary" id="submit">Submit</button> <span id="submitNote"></span>
            </details>
          </section>
          <section id="detail"><p class="muted">Select a workflow.</p></section>
        </main>

        """#
}
