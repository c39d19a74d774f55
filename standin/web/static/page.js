// The demo workspace's Slack client: draws what the member sees and sends what they do to the stand-in.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const S = {
    me: null, ws: null, conversation: "C1", tab: "messages", version: 0,
    messages: [], more: false, thread: null, modals: [], home: null, drawnModal: "", errors: {},
  };

  async function api(path, body) {
    const options = body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
    const response = await fetch(path, options);
    return response.json();
  }

  function query(params) {
    return new URLSearchParams({ as: S.me, ...params }).toString();
  }

  function ctx(extra) {
    const users = {};
    for (const m of S.ws.members) users[m.id] = m.name;
    users[S.ws.app.id] = S.ws.app.name;
    const channels = {};
    for (const c of S.ws.channels) channels[c.id] = c.name;
    return { users, channels, members: S.ws.members, ...extra };
  }

  function isDm() {
    return S.conversation.startsWith("D");
  }

  function authorName(id) {
    if (id === S.ws.app.id) return S.ws.app.name;
    if (id === "USLACKBOT") return "Slackbot";
    const member = S.ws.members.find((m) => m.id === id);
    return member ? member.real_name : id;
  }

  // One formatter per zone and kind: making one for each message would cost more than drawing the message.
  const formats = {};
  function format(kind, ts) {
    const zone = S.ws.clock.zone;
    const key = `${kind} ${zone}`;
    if (!formats[key]) {
      const options = kind === "time" ? { hour: "2-digit", minute: "2-digit" } : { weekday: "long", day: "numeric", month: "long" };
      formats[key] = new Intl.DateTimeFormat("en-GB", { timeZone: zone, ...options });
    }
    return formats[key].format(new Date(Number(ts) * 1000));
  }

  function timeOf(ts) {
    return format("time", ts);
  }

  function dayOf(ts) {
    return format("day", ts);
  }

  function drawMessage(message, inThread) {
    const node = document.createElement("article");
    node.className = "message" + (message.ephemeral ? " ephemeral" : "");
    node.dataset.ts = message.ts;
    const head = document.createElement("div");
    head.className = "message-head";
    const who = document.createElement("strong");
    who.textContent = authorName(message.author);
    head.append(who);
    if (message.author === S.ws.app.id) head.append(Object.assign(document.createElement("span"), { className: "badge", textContent: "APP" }));
    head.append(Object.assign(document.createElement("time"), { textContent: timeOf(message.ts) }));
    if (message.edited) head.append(Object.assign(document.createElement("span"), { className: "edited", textContent: "(edited)" }));
    node.append(head);
    if (message.ephemeral) node.append(Object.assign(document.createElement("div"), { className: "only-you", textContent: "Only visible to you" }));
    const onButton = (block, element, button) => press({ conversation: message.channel, ts: message.ts }, block, element, button);
    if (message.blocks && message.blocks.length) {
      node.append(BlockKit.render(message.blocks, ctx({ onButton })));
    } else {
      const text = document.createElement("div");
      text.className = "bk-text-block";
      text.innerHTML = BlockKit.mrkdwnHtml(message.text || "", ctx());
      node.append(text);
    }
    for (const file of message.files || []) {
      if (file.image) {
        const figure = Object.assign(document.createElement("figure"), { className: "file-image" });
        const img = Object.assign(document.createElement("img"), { src: `/files/${file.id}`, alt: file.alt || file.title || file.name });
        const caption = Object.assign(document.createElement("figcaption"), { textContent: file.title || file.name });
        figure.append(caption, img);
        node.append(figure);
        continue;
      }
      const a = Object.assign(document.createElement("a"), { className: "file", href: `/files/${file.id}`, textContent: `📎 ${file.title || file.name}` });
      a.setAttribute("download", file.name);
      node.append(a);
    }
    if (!inThread && message.replies > 0) {
      const open = document.createElement("button");
      open.type = "button";
      open.className = "replies";
      open.textContent = message.replies === 1 ? "1 reply" : `${message.replies} replies`;
      open.addEventListener("click", () => openThread(message.channel, message.ts));
      node.append(open);
    }
    return node;
  }

  // "open": to the latest; "earlier": where the member was, pages added above; "update": stay, unless at the end.
  function drawMessages(mode) {
    const list = $("messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const fromBottom = list.scrollHeight - list.scrollTop;
    const scrollTop = list.scrollTop;
    list.replaceChildren();
    if (S.more) list.append(Object.assign(document.createElement("div"), { className: "earlier", textContent: "Scroll up for earlier messages" }));
    let day = "";
    for (const message of S.messages) {
      const on = dayOf(message.ts);
      if (on !== day) list.append(Object.assign(document.createElement("div"), { className: "day-divider", textContent: on }));
      day = on;
      list.append(drawMessage(message, false));
    }
    if (mode === "earlier") list.scrollTop = list.scrollHeight - fromBottom;
    else if (mode === "open" || atBottom) list.scrollTop = list.scrollHeight;
    else list.scrollTop = scrollTop;
  }

  // Loads overlap (a click's refresh, the long poll's): only the answer to the latest request is drawn, so an
  // older one, perhaps for the conversation the member just left, never overwrites it.
  const latestRequest = {};
  async function latestOnly(kind, path) {
    const mine = (latestRequest[kind] = (latestRequest[kind] || 0) + 1);
    const answer = await api(path);
    return mine === latestRequest[kind] ? answer : null;
  }

  async function loadMessages() {
    const latest = await latestOnly("messages", `/api/messages?${query({ conversation: S.conversation })}`);
    if (!latest) return;
    const first = latest.messages.length ? latest.messages[0].ts : null;
    const earlier = S.loadedEarlier && first ? S.messages.filter((m) => Number(m.ts) < Number(first)) : [];
    S.messages = [...earlier, ...latest.messages];
    S.more = earlier.length ? S.more : latest.more;
    drawMessages(S.justOpened ? "open" : "update");
    S.justOpened = false;
  }

  async function loadEarlier() {
    if (!S.more || S.loading || !S.messages.length) return;
    S.loading = true;
    const conversation = S.conversation;
    const page = await api(`/api/messages?${query({ conversation, before: S.messages[0].ts })}`);
    if (conversation !== S.conversation) {
      S.loading = false;
      return;
    }
    S.messages = [...page.messages, ...S.messages];
    S.more = page.more;
    S.loadedEarlier = true;
    S.loading = false;
    drawMessages("earlier");
  }

  async function openThread(conversation, ts) {
    S.thread = { conversation, ts };
    await loadThread();
  }

  async function loadThread() {
    if (!S.thread) return;
    const found = await latestOnly("thread", `/api/thread?${query(S.thread)}`);
    if (!found || !S.thread) return;
    const pane = $("thread-messages");
    pane.replaceChildren();
    if (found.parent) {
      pane.append(drawMessage(found.parent, true));
      const count = Object.assign(document.createElement("div"), { className: "reply-count", textContent: `${found.replies.length} replies` });
      pane.append(count);
      for (const reply of found.replies) pane.append(drawMessage(reply, true));
    }
    $("thread").hidden = false;
  }

  async function press(where, block, element, button) {
    button.disabled = true;
    try {
      await api("/api/press", { as: S.me, block_id: block.block_id, action_id: element.action_id, ...where });
    } finally {
      button.disabled = false;
    }
    await refresh();
  }

  function drawHome() {
    const home = $("home");
    home.replaceChildren();
    if (!S.home) {
      home.append(Object.assign(document.createElement("p"), { className: "empty", textContent: "Nothing here yet." }));
      return;
    }
    const onButton = (block, element, button) => press({ view_id: S.home.id }, block, element, button);
    home.append(BlockKit.render(S.home.blocks, ctx({ onButton })));
  }

  function drawModal() {
    const top = S.modals[S.modals.length - 1];
    const key = top ? top.id + JSON.stringify(top.blocks) + JSON.stringify(top.title) + JSON.stringify(S.errors) : "";
    if (key === S.drawnModal) return;
    S.drawnModal = key;
    const backdrop = $("modal-backdrop");
    if (!top) {
      backdrop.hidden = true;
      return;
    }
    const modal = $("modal");
    // Redrawn for errors or an update of the same view: what the member typed stays, as in Slack.
    const typed = top.id === S.drawnModalId ? readFields(modal) : {};
    S.drawnModalId = top.id;
    modal.replaceChildren();
    modal.setAttribute("aria-label", top.title.text);
    const head = document.createElement("div");
    head.className = "modal-head";
    head.append(Object.assign(document.createElement("h2"), { textContent: top.title.text }));
    const closeX = Object.assign(document.createElement("button"), { type: "button", className: "modal-x", textContent: "×" });
    closeX.setAttribute("aria-label", "Close");
    closeX.addEventListener("click", () => closeModal(top));
    head.append(closeX);
    const form = document.createElement("form");
    form.className = "modal-body";
    const onButton = (block, element, button) => press({ view_id: top.id }, block, element, button);
    form.append(BlockKit.render(top.blocks, ctx({ onButton, errors: S.errors })));
    const foot = document.createElement("div");
    foot.className = "modal-foot";
    const close = Object.assign(document.createElement("button"), { type: "button", className: "bk-button", textContent: top.close ? top.close.text : "Cancel" });
    close.addEventListener("click", () => closeModal(top));
    foot.append(close);
    if (top.submit) {
      const submit = Object.assign(document.createElement("button"), { type: "submit", className: "bk-button bk-primary", textContent: top.submit.text });
      foot.append(submit);
    }
    form.append(foot);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submitModal(top, form);
    });
    modal.append(head, form);
    writeFields(modal, typed);
    backdrop.hidden = false;
  }

  function readFields(container) {
    const found = {};
    for (const field of container.querySelectorAll("[id^=input-]")) {
      found[field.id] = field.multiple ? [...field.selectedOptions].map((o) => o.value) : field.value;
    }
    return found;
  }

  function writeFields(container, values) {
    for (const [id, value] of Object.entries(values)) {
      const field = container.querySelector(`#${CSS.escape(id)}`);
      if (!field) continue;
      if (field.multiple) for (const option of field.options) option.selected = value.includes(option.value);
      else field.value = value;
    }
  }

  async function submitModal(view, form) {
    const { values, missing } = BlockKit.state(form, view.blocks);
    if (missing.length) {
      S.errors = Object.fromEntries(missing.map((id) => [id, "Please complete this required field."]));
      drawModal();
      return;
    }
    const answer = await api("/api/submit", { as: S.me, view_id: view.id, state: values });
    S.errors = answer.errors || {};
    S.drawnModal = "";
    await refresh();
  }

  async function closeModal(view) {
    S.errors = {};
    await api("/api/close", { as: S.me, view_id: view.id });
    await refresh();
  }

  async function loadViews() {
    const views = await latestOnly("views", `/api/views?${query({})}`);
    if (!views) return;
    const before = S.modals.length ? S.modals[S.modals.length - 1].id : null;
    S.modals = views.modals;
    const after = S.modals.length ? S.modals[S.modals.length - 1].id : null;
    if (before !== after) S.errors = {};
    S.home = views.home;
    drawModal();
    if (S.tab === "home" && isDm()) drawHome();
  }

  async function loadWorkspace() {
    const ws = await latestOnly("workspace", `/api/workspace?${query({})}`);
    if (!ws) return;
    S.ws = ws;
    $("clock-text").textContent = S.ws.clock.text;
  }

  async function refresh() {
    await Promise.all([loadWorkspace(), loadMessages(), loadViews(), loadThread()]);
  }

  function drawSidebar() {
    const channels = $("channels");
    channels.replaceChildren();
    for (const c of S.ws.channels) channels.append(sidebarItem(c.id, `# ${c.name}`));
    $("apps").replaceChildren(sidebarItem(`D${S.me}`, S.ws.app.name));
  }

  function sidebarItem(conversation, label) {
    const li = document.createElement("li");
    const a = Object.assign(document.createElement("button"), { type: "button", textContent: label });
    if (conversation === S.conversation) a.setAttribute("aria-current", "page");
    a.addEventListener("click", () => openConversation(conversation, conversation.startsWith("D") ? "messages" : null));
    li.append(a);
    return li;
  }

  async function openConversation(conversation, tab) {
    S.conversation = conversation;
    S.loadedEarlier = false;
    S.justOpened = true;
    S.tab = isDm() ? tab || S.tab : "messages";
    const channel = S.ws.channels.find((c) => c.id === conversation);
    $("conversation-name").textContent = channel ? `# ${channel.name}` : S.ws.app.name;
    $("tabs").hidden = !isDm();
    for (const b of $("tabs").querySelectorAll("button")) b.setAttribute("aria-selected", String(b.dataset.tab === S.tab));
    $("home").hidden = S.tab !== "home" || !isDm();
    $("messages").hidden = !$("home").hidden;
    $("composer").hidden = !$("home").hidden;
    drawSidebar();
    if (S.tab === "home" && isDm()) {
      drawHome();
      await api("/api/home", { as: S.me });
    }
    await refresh();
  }

  // @-completion: the word being typed after "@" offers the members whose name starts with it.
  function complete() {
    const box = $("message-box");
    const before = box.value.slice(0, box.selectionStart);
    const match = before.match(/(^|\s)@([\w.-]*)$/);
    const list = $("completions");
    list.replaceChildren();
    if (!match) {
      list.hidden = true;
      return;
    }
    const typed = match[2].toLowerCase();
    const found = S.ws.members.filter((m) => m.name.startsWith(typed) || m.real_name.toLowerCase().startsWith(typed));
    for (const member of found) {
      const li = Object.assign(document.createElement("li"), { role: "option", textContent: `${member.real_name} @${member.name}` });
      li.addEventListener("mousedown", (event) => {
        event.preventDefault();
        const start = before.length - typed.length;
        box.value = box.value.slice(0, start) + member.name + " " + box.value.slice(box.selectionStart);
        box.selectionStart = box.selectionEnd = start + member.name.length + 1;
        list.hidden = true;
        box.focus();
      });
      list.append(li);
    }
    list.hidden = found.length === 0;
  }

  async function send(event) {
    event.preventDefault();
    const box = $("message-box");
    const text = box.value.trim();
    if (!text) return;
    box.value = "";
    $("completions").hidden = true;
    await api("/api/send", { as: S.me, conversation: S.conversation, text });
    await refresh();
  }

  async function moveClock(button) {
    for (const b of document.querySelectorAll("[data-move]")) b.disabled = true;
    try {
      await api("/api/clock", { as: S.me, move: button.dataset.move });
    } finally {
      for (const b of document.querySelectorAll("[data-move]")) b.disabled = false;
    }
    await refresh();
  }

  async function listen() {
    for (;;) {
      try {
        const changed = await api(`/api/changes?since=${S.version}`);
        if (changed.version !== S.version) {
          S.version = changed.version;
          await refresh();
        }
      } catch (error) {
        await new Promise((resolve) => setTimeout(resolve, 1000)); // the demo stopped or restarted: try again
      }
    }
  }

  async function start() {
    const params = new URLSearchParams(location.search);
    S.ws = await api("/api/workspace");
    S.me = params.get("as") || S.ws.members[0].id;
    const picker = $("as");
    for (const m of S.ws.members) picker.append(new Option(`${m.real_name}${m.is_admin ? " (admin)" : ""} — ${m.tz}`, m.id, false, m.id === S.me));
    picker.addEventListener("change", async () => {
      S.me = picker.value;
      S.drawnModal = "";
      S.errors = {};
      await loadWorkspace(); // the member's zone, before anything is drawn in it
      openConversation(S.conversation.startsWith("D") ? `D${S.me}` : S.conversation, S.tab);
    });
    $("composer").addEventListener("submit", send);
    $("message-box").addEventListener("input", complete);
    $("message-box").addEventListener("keydown", (event) => {
      const offered = $("completions").hidden ? null : $("completions").querySelector("li");
      if (offered && (event.key === "Enter" || event.key === "Tab")) {
        event.preventDefault();
        offered.dispatchEvent(new MouseEvent("mousedown"));
      } else if (event.key === "Enter" && !event.shiftKey) {
        send(event);
      }
    });
    $("messages").addEventListener("scroll", () => {
      if ($("messages").scrollTop < 80) loadEarlier();
    });
    for (const b of $("tabs").querySelectorAll("button")) b.addEventListener("click", () => openConversation(S.conversation, b.dataset.tab));
    for (const b of document.querySelectorAll("[data-move]")) b.addEventListener("click", () => moveClock(b));
    $("close-thread").addEventListener("click", () => {
      S.thread = null;
      $("thread").hidden = true;
    });
    S.version = S.ws.version;
    await openConversation(params.get("conversation") || "C1", "messages");
    document.body.dataset.ready = "true";
    listen();
  }

  start();
})();
