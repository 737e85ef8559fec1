extension WebPage {
    /// The page's behaviour. Live data comes from the two event streams; a request is
    /// made only to act (answer, control, submit) or to load what a stream does not
    /// carry (the list's first page, a workflow's children, the agents).
    static let script = #"""
        "use strict";
        const $ = (id) => document.getElementById(id);
        const terminal = ["completed", "failed", "cancelled", "timed_out"];
        const keyName = "baton.apiKey";
        let selected = null;
        const workflows = new Map();
        let listStream = null, detailStream = null;
        let current = null;        // the selected workflow's view
        let history = [];          // its history entries, in order

        function el(tag, attrs, ...children) {
          const node = document.createElement(tag);
          for (const [k, v] of Object.entries(attrs || {})) {
            if (k === "onclick" || k === "oninput") node[k] = v; else if (v != null) node.setAttribute(k, v);
          }
          for (const c of children.flat()) if (c != null && c !== false) node.append(c instanceof Node ? c : String(c));
          return node;
        }

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

        // Server-Sent Events over fetch (so the key goes as a header), reconnecting
        // with Last-Event-ID until closed or until the server sends `end`.
        function stream(path, handlers) {
          let lastEventId = null, closed = false, retry = 2000, controller = null;
          async function connect() {
            while (!closed) {
              controller = new AbortController();
              const headers = { "Authorization": "Bearer " + (sessionStorage.getItem(keyName) || ""), "Accept": "text/event-stream" };
              if (lastEventId != null) headers["Last-Event-ID"] = lastEventId;
              try {
                const response = await fetch(path, { headers, signal: controller.signal });
                if (response.status === 401) { showSignIn(); return; }
                if (!response.ok) { handlers.error && handlers.error((await response.json().catch(() => ({}))).message || response.statusText); return; }
                handlers.open && handlers.open();
                const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
                let buffer = "", event = {}, data = [];
                for (;;) {
                  const { value, done } = await reader.read();
                  if (done) break;
                  buffer += value;
                  let newline;
                  while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
                    const line = buffer.slice(0, newline);
                    buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
                    if (line === "") {
                      if (data.length) {
                        if (event.id != null) lastEventId = event.id;
                        const name = event.event || "message";
                        if (name === "end") closed = true;
                        handlers[name] && handlers[name](JSON.parse(data.join("\n") || "null"));
                      }
                      event = {}; data = [];
                      continue;
                    }
                    const colon = line.indexOf(":");
                    if (colon === 0) continue;
                    const field = colon < 0 ? line : line.slice(0, colon);
                    const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
                    if (field === "data") data.push(text);
                    else if (field === "id") event.id = text;
                    else if (field === "event") event.event = text;
                    else if (field === "retry" && /^\d+$/.test(text)) retry = Number(text);
                  }
                }
              } catch (e) { if (closed) return; }
              if (closed) return;
              handlers.lost && handlers.lost();
              await new Promise((resolve) => setTimeout(resolve, retry));
            }
          }
          connect();
          return { close() { closed = true; if (controller) controller.abort(); } };
        }

        function showSignIn() { $("signin").hidden = false; $("signout").hidden = true; $("who").textContent = ""; }
        async function showIdentity() {
          try {
            const me = await api("/v1/identity");
            $("who").textContent = me.subject + " · " + me.tenant;
            $("signin").hidden = true; $("signout").hidden = false;
            return true;
          } catch (e) { $("note").textContent = e.message; return false; }
        }
        $("signin").onsubmit = async (event) => {
          event.preventDefault();
          const key = $("key").value.trim();
          if (!key) return;
          sessionStorage.setItem(keyName, key); $("key").value = "";
          if (await showIdentity()) start();
        };
        $("signout").onclick = () => {
          sessionStorage.removeItem(keyName); showSignIn();
          if (listStream) listStream.close();
          if (detailStream) detailStream.close();
          $("list").replaceChildren(); $("detail").replaceChildren();
        };

        function progressCell(p) {
          if (!p) return "";
          const bar = el("div", { class: "bar" }, el("div", { style: "width:" + Math.max(0, Math.min(100, p.percent || 0)) + "%" }));
          return el("div", {}, p.percent != null ? bar : null, el("span", { class: "muted" }, [p.phase, p.label].filter(Boolean).join(" – ")));
        }

        // The list: its first page read once, then kept current by the tenant's stream.
        async function loadList() {
          try {
            const views = await api("/v1/workflows?limit=100");
            workflows.clear();
            for (const v of views) workflows.set(v.id, v);
            renderList();
          } catch (e) { $("note").textContent = "cannot reach the scheduler: " + e.message; }
          if (listStream) listStream.close();
          listStream = stream("/v1/events", {
            open() { $("connection").textContent = "● live"; $("connection").className = "live"; },
            lost() { $("connection").textContent = "● reconnecting"; $("connection").className = "offline"; },
            workflow(v) { workflows.set(v.id, v); renderList(); },
          });
        }
        function renderList() {
          const status = $("filter").value;
          const views = [...workflows.values()].filter((v) => !status || v.status === status)
            .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id, undefined, { numeric: true })).slice(0, 200);
          $("list").replaceChildren(...views.map((v) =>
            el("tr", { class: "row" + (v.id === selected ? " selected" : ""), onclick: () => open(v.id) },
              el("td", {}, v.id, v.caller ? el("div", { class: "muted" }, "by " + v.caller) : null),
              el("td", {}, v.agent),
              el("td", { class: "status " + v.status }, v.status === "awaiting_input" && v.interrupt && v.interrupt.childWorkflowId ? "waiting for child" : v.status),
              el("td", {}, progressCell(v.progress)))));
        }
        $("filter").onchange = renderList;

        // Opening a run: its URL, so that links, refreshes and the back button work.
        function open(id) { if (id !== selected) location.hash = "id=" + encodeURIComponent(id); }
        function fromHash() {
          const id = new URLSearchParams(location.hash.slice(1)).get("id");
          if (id && id !== selected) follow(id);
        }
        window.addEventListener("hashchange", fromHash);

        function follow(id) {
          selected = id; current = null; history = []; live = { attempt: 0, calls: new Map() };
          if (detailStream) detailStream.close();
          $("detail").replaceChildren(el("h2", {}, id), el("p", { class: "muted" }, "loading…"));
          renderList();
          detailStream = stream("/v1/workflows/" + encodeURIComponent(id) + "/events", {
            workflow(v) { current = v; workflows.set(v.id, v); renderDetail(); renderList(); },
            history(entry) {
              history.push(entry);
              // A checkpoint holds the answers its text was showing.
              if (entry.type === "checkpointed") live.calls.clear();
              scheduleDetail();
            },
            text(d) { showText(d); },
            end(v) { current = v; workflows.set(v.id, v); renderDetail(); renderList(); },
            error(message) { $("detail").replaceChildren(el("h2", {}, id), el("p", { class: "error" }, message)); },
          });
        }
        // Text the model is generating: live only (never stored); a resumed attempt's
        // text replaces the last one's, and a call that began again drops what it showed.
        let live = { attempt: 0, calls: new Map() };
        function showText(d) {
          if (d.attempt < live.attempt) return;
          if (d.attempt > live.attempt) live = { attempt: d.attempt, calls: new Map() };
          const key = d.node + " · " + d.call;
          live.calls.set(key, (d.restarted ? "" : (live.calls.get(key) || "")) + d.text);
          const box = $("live");
          if (box) box.replaceChildren(...liveText()); else scheduleDetail();
        }
        function liveText() {
          const parts = [];
          for (const [key, text] of live.calls) parts.push(el("div", { class: "muted" }, key + " – attempt " + live.attempt), el("pre", { class: "live" }, text));
          return parts.length ? [el("h3", {}, "Model output, live"), ...parts] : [];
        }
        let pending = null;
        function scheduleDetail() { if (!pending) pending = setTimeout(() => { pending = null; renderDetail(); }, 100); }

        // A typed answer is kept in the tab while it is typed: a refresh, an update or
        // a reconnect never loses it.
        const draftKey = (v) => "baton.draft." + v.id + "." + (v.interrupt && v.interrupt.title || "");
        function questionBox(v) {
          const q = v.interrupt;
          if (q.childWorkflowId) {
            return el("div", { class: "waiting-child" }, "Waiting for its child workflow ",
              el("a", { href: "#id=" + encodeURIComponent(q.childWorkflowId) }, q.childWorkflowId),
              ", not for a person: it resumes when the child ends.");
          }
          const text = q.allowsFreeText ? el("textarea", { rows: 3, id: "answerText", placeholder: "free text (optional with a choice)",
            oninput: (e) => sessionStorage.setItem(draftKey(v), e.target.value) }) : null;
          if (text) text.value = sessionStorage.getItem(draftKey(v)) || "";
          const note = el("div", { class: "error" });
          const send = async (choice) => {
            const answer = {};
            if (choice) answer.choice = choice;
            if (text && text.value.trim()) answer.text = text.value.trim();
            try { await api("/v1/workflows/" + encodeURIComponent(v.id) + "/input", { answer }); sessionStorage.removeItem(draftKey(v)); }
            catch (e) { note.textContent = e.message; }
          };
          const buttons = q.choices.map((c) => el("button", { class: "primary", title: c.label, "data-choice": c.id, onclick: () => send(c.id) }, c.label));
          if (!q.choices.length) buttons.push(el("button", { class: "primary", onclick: () => send(null) }, "Send"));
          return el("div", { class: "question", "data-question": q.title + "\n" + q.question },
            el("strong", {}, q.title), el("pre", {}, q.question), text, el("div", {}, buttons), note);
        }

        function controls(v) {
          const act = (path, body, confirmText) => async () => {
            if (confirmText && !confirm(confirmText)) return;
            try {
              const result = await api("/v1/workflows/" + encodeURIComponent(v.id) + "/" + path, body || {});
              if (result.id && result.id !== v.id) open(result.id);
            } catch (e) { alert(e.message); }
          };
          const buttons = [];
          const running = !terminal.includes(v.status);
          if (running && v.status !== "paused" && !v.pausing && v.status !== "cancelling") buttons.push(el("button", { onclick: act("pause") }, "Pause"));
          if (v.status === "paused" || v.pausing) buttons.push(el("button", { class: "primary", onclick: act("resume") }, "Resume"));
          if (running) buttons.push(el("button", { onclick: act("cancel", { reason: "cancelled from the web page" }) }, "Cancel"));
          if (running) buttons.push(el("button", { class: "danger", onclick: act("terminate", { reason: "terminated from the web page" }, "End this workflow now, without waiting for its worker?") }, "Terminate"));
          if (["failed", "timed_out", "cancelled"].includes(v.status)) buttons.push(el("button", { class: "primary", onclick: act("retry") }, "Retry from last checkpoint"));
          if (v.checkpointStep != null) buttons.push(el("button", { onclick: act("fork") }, "Fork from checkpoint " + v.checkpointStep));
          return el("div", { id: "controls" }, buttons);
        }

        // A small Markdown subset (headings, lists, code, emphasis), built as DOM
        // nodes from text: nothing a model writes is ever parsed as HTML.
        function markdown(source) {
          const root = el("div", { class: "report" });
          const inline = (text) => {
            const parts = [];
            const pattern = /(\*\*[^*]+\*\*|`[^`]+`|\*[^*]+\*)/g;
            let last = 0, m;
            while ((m = pattern.exec(text))) {
              if (m.index > last) parts.push(text.slice(last, m.index));
              const t = m[0];
              parts.push(t.startsWith("**") ? el("strong", {}, t.slice(2, -2)) : t.startsWith("`") ? el("code", {}, t.slice(1, -1)) : el("em", {}, t.slice(1, -1)));
              last = m.index + t.length;
            }
            if (last < text.length) parts.push(text.slice(last));
            return parts;
          };
          const lines = source.split("\n");
          let list = null, paragraph = [];
          const flush = () => { if (paragraph.length) { root.append(el("p", {}, inline(paragraph.join(" ")))); paragraph = []; } };
          for (let i = 0; i < lines.length; i++) {
            const line = lines[i];
            if (line.startsWith("```")) {
              flush(); list = null;
              const code = [];
              while (++i < lines.length && !lines[i].startsWith("```")) code.push(lines[i]);
              root.append(el("pre", {}, code.join("\n")));
              continue;
            }
            const heading = /^(#{1,4})\s+(.*)$/.exec(line);
            const item = /^\s*(?:[-*]|\d+\.)\s+(.*)$/.exec(line);
            if (heading) { flush(); list = null; root.append(el("h" + Math.min(6, heading[1].length + 2), {}, inline(heading[2]))); }
            else if (item) { flush(); if (!list) { list = el(/^\s*\d/.test(line) ? "ol" : "ul", {}); root.append(list); } list.append(el("li", {}, inline(item[1]))); }
            else if (!line.trim()) { flush(); list = null; }
            else { list = null; paragraph.push(line.trim()); }
          }
          flush();
          return root;
        }

        function seconds(ms) { return ms < 1000 ? ms + " ms" : (ms / 1000).toFixed(1) + " s"; }
        function describe(h) {
          const p = h.payload || {};
          if (h.type === "checkpointed") return "checkpoint " + p.step;
          if (h.type === "dispatched") return p.resume_from_step != null ? "resumes from checkpoint " + p.resume_from_step : "starts afresh";
          if (h.type === "human_input") return "answer " + JSON.stringify(p.answer) + (p.by ? " by " + p.by : "");
          if (["pause_requested", "resume_requested", "cancel_requested", "terminate_requested"].includes(h.type)) return (p.by ? "by " + p.by : "") + (p.reason ? " – " + p.reason : "");
          if (["forked", "retried", "forked_from", "retried_from"].includes(h.type)) return p.workflow + (p.step != null ? " at checkpoint " + p.step : "") + (p.by ? " by " + p.by : "");
          if (h.type === "child_ended") return p.child + " " + p.status;
          if (p.worker) return "worker " + p.worker;
          return "";
        }

        function timeline() {
          if (!history.length) return null;
          const rows = history.map((h, i) => {
            const next = history[i + 1];
            const took = next ? new Date(next.recordedAt) - new Date(h.recordedAt) : null;
            return el("tr", {},
              el("td", { class: "muted" }, new Date(h.recordedAt).toLocaleTimeString()),
              el("td", {}, h.type, h.outcome !== "applied" ? el("div", { class: "error" }, h.outcome) : null),
              el("td", { class: "muted" }, "attempt " + h.attempt),
              el("td", {}, describe(h)),
              el("td", { class: "muted" }, took != null ? seconds(took) : ""));
          });
          return [el("h3", {}, "Timeline (" + history.length + " entries)"), el("table", { class: "timeline" }, rows.reverse())];
        }

        function nodesSeen(v) {
          const seen = [];
          const result = v.result && v.result.steps;
          if (Array.isArray(result)) for (const s of result) if (s && s.node && !seen.includes(s.node)) seen.push(s.node);
          const node = v.progress && v.progress.node;
          if (node && !seen.includes(node)) seen.push(node);
          if (!seen.length) return null;
          return [el("h3", {}, "Nodes"), el("div", { class: "nodes" }, seen.map((n) => el("span", { class: n === node && !terminal.includes(v.status) ? "current" : "" }, n)))];
        }

        function usageByNode(v) {
          if (!v.usage || !v.usage.byNode) return null;
          const nodes = Object.entries(v.usage.byNode);
          if (!nodes.length) return null;
          return [el("h3", {}, "Model usage by node"), el("table", {},
            el("tr", {}, el("th", {}, "node"), el("th", {}, "calls"), el("th", {}, "prompt"), el("th", {}, "completion"), el("th", {}, "cost")),
            nodes.map(([node, u]) => el("tr", {}, el("td", {}, node), el("td", {}, u.calls), el("td", {}, u.promptTokens), el("td", {}, u.completionTokens), el("td", {}, (u.cost || 0).toFixed(6)))))];
        }

        async function childrenTree(id, depth) {
          const children = await api("/v1/workflows?limit=50&parent=" + encodeURIComponent(id)).catch(() => []);
          if (!children.length) return null;
          const items = [];
          for (const c of children) {
            items.push(el("li", {}, el("a", { href: "#id=" + encodeURIComponent(c.id) }, c.id), " " + c.agent + " – ",
              el("span", { class: "status " + c.status }, c.status), depth < 2 ? await childrenTree(c.id, depth + 1) : null));
          }
          return el("ul", { class: "tree" }, items);
        }
        let childrenOf = { id: null, node: null, status: null };

        function renderDetail() {
          const v = current;
          if (!v || v.id !== selected) return;
          const detail = $("detail");
          // The question box stays as it is while its question does: what is typed in it survives every update.
          const oldQuestion = detail.querySelector(".question");
          const question = v.status === "awaiting_input" && v.interrupt ? questionBox(v) : null;
          const keep = oldQuestion && question && oldQuestion.dataset.question === question.dataset.question;
          const facts = el("dl", {},
            el("dt", {}, "agent"), el("dd", {}, v.agent),
            el("dt", {}, "status"), el("dd", { class: "status " + v.status }, v.status + (v.pausing ? " (pausing at its next checkpoint)" : "") + " – attempt " + v.attempt),
            v.caller ? [el("dt", {}, "requested by"), el("dd", {}, v.caller)] : null,
            v.parentId ? [el("dt", {}, "parent"), el("dd", {}, el("a", { href: "#id=" + encodeURIComponent(v.parentId) }, v.parentId))] : null,
            el("dt", {}, "progress"), el("dd", {}, progressCell(v.progress) || "–"),
            el("dt", {}, "checkpoint"), el("dd", {}, v.checkpointStep != null ? "step " + v.checkpointStep : "none yet"),
            v.usage ? [el("dt", {}, "model usage"), el("dd", {}, v.usage.total.promptTokens + " prompt + " + v.usage.total.completionTokens +
              " completion tokens, " + v.usage.total.calls + " calls, cost " + v.usage.total.cost.toFixed(6))] : null,
            el("dt", {}, "started"), el("dd", {}, new Date(v.createdAt).toLocaleString()),
            el("dt", {}, "updated"), el("dd", {}, new Date(v.updatedAt).toLocaleString()));
          const report = v.result && v.result.report && v.result.report.markdown;
          const parts = [el("h2", {}, v.id), facts, controls(v),
            keep ? oldQuestion : question,
            v.error ? el("p", { class: "error" }, v.error.kind + ": " + v.error.message) : null,
            terminal.includes(v.status) ? null : el("div", { id: "live" }, liveText()),
            v.result ? [el("h3", {}, report ? "Report" : "Result"), report ? markdown(report) : el("pre", {}, JSON.stringify(v.result, null, 2))] : null,
            nodesSeen(v), usageByNode(v),
            el("div", { id: "children" }, childrenOf.id === v.id ? childrenOf.node : null),
            el("details", {}, el("summary", {}, "Input"), el("pre", {}, JSON.stringify(v.input, null, 2))),
            timeline()];
          detail.replaceChildren(...parts.flat().filter((p) => p != null));
          if (childrenOf.id !== v.id || childrenOf.status !== v.status) {
            childrenOf = { id: v.id, node: childrenOf.id === v.id ? childrenOf.node : null, status: v.status };
            childrenTree(v.id, 0).then((tree) => {
              if (childrenOf.id !== v.id) return;
              childrenOf.node = tree ? el("div", {}, el("h3", {}, "Child workflows"), tree) : null;
              const slot = $("children");
              if (slot) slot.replaceChildren(...(childrenOf.node ? [childrenOf.node] : []));
            });
          }
        }

        async function loadAgents() {
          const agents = await api("/v1/agents").catch(() => []);
          $("agent").replaceChildren(...agents.map((a) => el("option", { value: a.name }, a.name)));
          const help = () => {
            const agent = agents.find((a) => a.name === $("agent").value);
            $("agentHelp").textContent = agent ? agent.summary : "";
          };
          $("agent").onchange = help; help();
        }
        $("submit").onclick = async () => {
          try {
            const input = JSON.parse($("input").value || "{}");
            const v = await api("/v1/workflows", { agent: $("agent").value, input });
            $("submitNote").textContent = "submitted";
            open(v.id);
          } catch (e) { $("submitNote").textContent = e.message; }
        };

        function start() { loadList(); loadAgents(); fromHash(); }
        if (sessionStorage.getItem(keyName)) { showIdentity().then((ok) => { if (ok) start(); }); } else showSignIn();
        """#
}
