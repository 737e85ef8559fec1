import Hummingbird

/// `GET /`: one self-contained page over the JSON API for the people around a
/// workflow: follow progress live, answer a question, read a report, cancel, submit.
/// No build step and no third-party script: it is served from this string, and all
/// data is inserted as text (never as HTML). The page asks for an API key and keeps it
/// in the tab's session storage only; it sends it as a bearer token, never as a
/// cookie, so another site's page cannot make the browser send it. The page may not
/// be framed (clickjacking).
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

    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Baton</title>
        <style>
          body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
          header { background: #1d2330; color: #fff; padding: 10px 18px; display: flex; gap: 16px; align-items: center; }
          header h1 { font-size: 17px; margin: 0; }
          main { display: grid; grid-template-columns: minmax(340px, 1fr) 1.4fr; gap: 14px; padding: 14px; }
          section { background: #fff; border: 1px solid #dde1e7; border-radius: 6px; padding: 12px; overflow: auto; }
          table { border-collapse: collapse; width: 100%; }
          td, th { text-align: left; padding: 5px 6px; border-bottom: 1px solid #eef0f3; vertical-align: top; }
          tr.row { cursor: pointer; } tr.row:hover, tr.selected { background: #eef4ff; }
          .status { font-weight: 600; } .awaiting_input { color: #b55d00; } .completed { color: #16794c; }
          .failed, .timed_out { color: #b42318; } .cancelled, .cancelling { color: #667085; }
          .running, .dispatched, .pending, .backing_off { color: #175cd3; }
          .bar { height: 8px; background: #eef0f3; border-radius: 4px; overflow: hidden; }
          .bar > div { height: 100%; background: #175cd3; }
          .question { border: 2px solid #f5a524; border-radius: 6px; padding: 10px; margin: 10px 0; background: #fffaf0; }
          pre { white-space: pre-wrap; word-break: break-word; background: #f6f7f9; padding: 8px; border-radius: 4px; }
          button { margin: 4px 6px 4px 0; padding: 5px 12px; border-radius: 4px; border: 1px solid #98a2b3; background: #fff; cursor: pointer; }
          button.primary { background: #175cd3; color: #fff; border-color: #175cd3; }
          textarea, input, select { font: inherit; width: 100%; box-sizing: border-box; margin: 4px 0; }
          .muted { color: #667085; } .error { color: #b42318; } dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
          dt { color: #667085; }
        </style>
        </head>
        <body>
        <header><h1>Baton</h1>
          <label>status <select id="filter">
            <option value="">all</option><option>awaiting_input</option><option>running</option>
            <option>completed</option><option>failed</option><option>cancelled</option>
          </select></label>
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
              <input id="agent" placeholder="agent, e.g. operations_analysis">
              <textarea id="input" rows="4">{"request": "Why are deliveries late?"}</textarea>
              <button class="primary" id="submit">Submit</button> <span id="submitNote"></span>
            </details>
          </section>
          <section id="detail"><p class="muted">Select a workflow.</p></section>
        </main>
        <script>
        "use strict";
        let selected = new URLSearchParams(location.hash.slice(1)).get("id");
        let historyOf = { id: null, entries: [] };
        const $ = (id) => document.getElementById(id);
        function el(tag, attrs, ...children) {
          const node = document.createElement(tag);
          for (const [k, v] of Object.entries(attrs || {})) {
            if (k === "onclick") node.onclick = v; else node.setAttribute(k, v);
          }
          for (const c of children) if (c != null) node.append(c instanceof Node ? c : String(c));
          return node;
        }
        const keyName = "baton.apiKey";
        async function api(path, body) {
          const key = sessionStorage.getItem(keyName);
          if (!key) { showSignIn(); throw new Error("sign in with an API key"); }
          const headers = { "Authorization": "Bearer " + key };
          if (body !== undefined) headers["Content-Type"] = "application/json";
          const response = await fetch(path, body === undefined ? { headers } :
            { method: "POST", headers, body: JSON.stringify(body) });
          const data = await response.json().catch(() => ({}));
          if (response.status === 401) { sessionStorage.removeItem(keyName); showSignIn(); }
          if (!response.ok) throw new Error(data.message || response.statusText);
          return data;
        }
        function showSignIn() { $("signin").hidden = false; $("signout").hidden = true; $("who").textContent = ""; }
        async function showIdentity() {
          try {
            const me = await api("/v1/identity");
            $("who").textContent = me.subject + " · " + me.tenant;
            $("signin").hidden = true; $("signout").hidden = false;
          } catch (e) { $("note").textContent = e.message; }
        }
        $("signin").onsubmit = (event) => {
          event.preventDefault();
          const key = $("key").value.trim();
          if (!key) return;
          sessionStorage.setItem(keyName, key); $("key").value = "";
          showIdentity(); refreshList(); refreshDetail();
        };
        $("signout").onclick = () => { sessionStorage.removeItem(keyName); showSignIn(); $("list").replaceChildren(); };
        function progressCell(p) {
          if (!p) return "";
          const bar = el("div", { class: "bar" }, el("div", { style: "width:" + Math.max(0, Math.min(100, p.percent || 0)) + "%" }));
          return el("div", {}, p.percent != null ? bar : null, el("span", { class: "muted" }, [p.phase, p.label].filter(Boolean).join(" – ")));
        }
        async function refreshList() {
          const status = $("filter").value;
          try {
            const views = await api("/v1/workflows?limit=100" + (status ? "&status=" + status : ""));
            $("list").replaceChildren(...views.map((v) => {
              const row = el("tr", { class: "row" + (v.id === selected ? " selected" : ""), onclick: () => select(v.id) },
                el("td", {}, v.id, v.caller ? el("div", { class: "muted" }, "by " + v.caller) : null),
                el("td", {}, v.agent), el("td", { class: "status " + v.status }, v.status), el("td", {}, progressCell(v.progress)));
              return row;
            }));
            $("note").textContent = "";
          } catch (e) { $("note").textContent = "cannot reach the scheduler: " + e.message; }
        }
        function select(id) { selected = id; location.hash = "id=" + encodeURIComponent(id); refreshDetail(); refreshList(); }
        function questionBox(v) {
          const q = v.interrupt;
          if (q.childWorkflowId) {
            return el("div", { class: "question" }, "Waiting for its child workflow ",
              el("a", { href: "#id=" + encodeURIComponent(q.childWorkflowId), onclick: () => select(q.childWorkflowId) }, q.childWorkflowId),
              "; it resumes when the child ends.");
          }
          const text = q.allowsFreeText ? el("textarea", { rows: 3, placeholder: "free text (optional with a choice)" }) : null;
          const note = el("div", { class: "error" });
          const send = async (choice) => {
            const answer = {};
            if (choice) answer.choice = choice;
            if (text && text.value.trim()) answer.text = text.value.trim();
            try { await api("/v1/workflows/" + encodeURIComponent(v.id) + "/input", { answer }); refreshDetail(); }
            catch (e) { note.textContent = e.message; }
          };
          const buttons = q.choices.map((c) => el("button", { class: "primary", title: c.label, onclick: () => send(c.id) }, c.label));
          if (!q.choices.length) buttons.push(el("button", { class: "primary", onclick: () => send(null) }, "Send"));
          return el("div", { class: "question" }, el("strong", {}, q.title), el("pre", {}, q.question), text, el("div", {}, ...buttons), note);
        }
        async function refreshDetail() {
          if (!selected) return;
          let v;
          try { v = await api("/v1/workflows/" + encodeURIComponent(selected)); }
          catch (e) { $("detail").replaceChildren(el("p", { class: "error" }, e.message)); return; }
          const children = await api("/v1/workflows?limit=20&parent=" + encodeURIComponent(v.id)).catch(() => []);
          const facts = el("dl", {},
            el("dt", {}, "agent"), el("dd", {}, v.agent),
            el("dt", {}, "status"), el("dd", { class: "status " + v.status }, v.status + " (attempt " + v.attempt + ")"),
            v.caller ? el("dt", {}, "requested by") : null, v.caller ? el("dd", {}, v.caller) : null,
            v.parentId ? el("dt", {}, "parent") : null,
            v.parentId ? el("dd", {}, el("a", { href: "#", onclick: () => select(v.parentId) }, v.parentId)) : null,
            el("dt", {}, "progress"), el("dd", {}, progressCell(v.progress) || "–"),
            v.usage ? el("dt", {}, "model usage") : null,
            v.usage ? el("dd", {}, v.usage.total.promptTokens + " prompt + " + v.usage.total.completionTokens +
              " completion tokens, " + v.usage.total.calls + " calls, cost " + v.usage.total.cost.toFixed(6)) : null,
            el("dt", {}, "updated"), el("dd", {}, new Date(v.updatedAt).toLocaleString()));
          const parts = [el("h2", {}, v.id), facts];
          if (v.status === "awaiting_input" && v.interrupt) parts.push(questionBox(v));
          if (children.length) parts.push(el("h3", {}, "Child workflows"), el("ul", {}, ...children.map((c) =>
            el("li", {}, el("a", { href: "#", onclick: () => select(c.id) }, c.id), " " + c.agent + " – " + c.status))));
          if (v.error) parts.push(el("p", { class: "error" }, v.error.kind + ": " + v.error.message));
          if (v.result) {
            const report = v.result.report && v.result.report.markdown;
            parts.push(el("h3", {}, report ? "Report" : "Result"), el("pre", {}, report || JSON.stringify(v.result, null, 2)));
          }
          // The history only grows: ask for what came since the last refresh.
          if (historyOf.id !== v.id) historyOf = { id: v.id, entries: [] };
          const last = historyOf.entries.length ? historyOf.entries[historyOf.entries.length - 1].sequence : 0;
          const fresh = await api("/v1/workflows/" + encodeURIComponent(v.id) + "/history?limit=1000&after=" + last).catch(() => []);
          if (historyOf.id === v.id) {
            const known = historyOf.entries.length ? historyOf.entries[historyOf.entries.length - 1].sequence : 0;
            historyOf.entries.push(...fresh.filter((h) => h.sequence > known));  // refreshes may overlap
          }
          const history = historyOf.entries;
          if (history.length) {
            parts.push(el("h3", {}, "History (latest " + Math.min(30, history.length) + " of " + history.length + ")"),
              el("table", {}, ...history.slice(-30).reverse().map((h) => el("tr", {},
                el("td", { class: "muted" }, new Date(h.recordedAt).toLocaleTimeString()), el("td", {}, h.type),
                el("td", {}, "attempt " + h.attempt), el("td", { class: h.outcome === "applied" ? "muted" : "error" }, h.outcome)))));
          }
          if (!["completed", "failed", "cancelled", "timed_out"].includes(v.status)) {
            parts.push(el("button", { onclick: async () => {
              try { await api("/v1/workflows/" + encodeURIComponent(v.id) + "/cancel", { reason: "cancelled from the web page" }); }
              catch (e) { alert(e.message); }
              refreshDetail();
            } }, "Cancel"));
          }
          const typing = document.activeElement && document.activeElement.tagName === "TEXTAREA" && $("detail").contains(document.activeElement);
          if (!typing) $("detail").replaceChildren(...parts);
        }
        $("submit").onclick = async () => {
          try {
            const input = JSON.parse($("input").value || "{}");
            const body = { agent: $("agent").value.trim(), input };
            const v = await api("/v1/workflows", body);
            $("submitNote").textContent = "submitted";
            select(v.id);
          } catch (e) { $("submitNote").textContent = e.message; }
        };
        $("filter").onchange = refreshList;
        if (sessionStorage.getItem(keyName)) showIdentity(); else showSignIn();
        refreshList(); refreshDetail();
        setInterval(refreshList, 2000); setInterval(refreshDetail, 1000);
        </script>
        </body>
        </html>
        """#
}
