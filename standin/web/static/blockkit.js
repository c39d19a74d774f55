// Block Kit drawn as Slack's client draws it, for the blocks and elements a Slack app can send.
// BlockKit.render(blocks, ctx) returns an element; ctx: {users, channels, members, onButton, errors}.
"use strict";
(function () {
  const EMOJI = {
    alarm_clock: "⏰", broom: "🧹", busts_in_silhouette: "👥", calendar: "📆", checkered_flag: "🏁",
    compass: "🧭", construction: "🚧", dart: "🎯", envelope_with_arrow: "📩", fire: "🔥", handshake: "🤝",
    home: "🏠", hourglass: "⌛", left_right_arrow: "↔️", mag: "🔍", memo: "📝", outbox_tray: "📤",
    people_holding_hands: "🧑‍🤝‍🧑", raised_hands: "🙌", repeat: "🔁", rocket: "🚀", seedling: "🌱", tada: "🎉",
    trophy: "🏆", wave: "👋", white_check_mark: "✅", x: "❌", warning: "⚠️", sparkles: "✨", star: "⭐",
    thumbsup: "👍", "+1": "👍", heart: "❤️", smile: "😄", bulb: "💡", muscle: "💪", clap: "👏", eyes: "👀",
    chart_with_upwards_trend: "📈", hourglass_flowing_sand: "⏳", heavy_minus_sign: "➖", round_pushpin: "📍",
  };

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }

  // Slack sends &, < and > as entities inside mrkdwn: back to characters before the browser escapes them again.
  function unentity(text) {
    return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function link(inner, ctx) {
    const [target, label] = splitOnce(inner, "|");
    if (target.startsWith("@")) {
      const name = (ctx.users && ctx.users[target.slice(1)]) || label || target.slice(1);
      return `<span class="bk-mention">@${escapeHtml(unentity(name))}</span>`;
    }
    if (target.startsWith("#")) {
      const name = (ctx.channels && ctx.channels[target.slice(1)]) || label || target.slice(1);
      return `<span class="bk-mention">#${escapeHtml(unentity(name))}</span>`;
    }
    if (target.startsWith("!")) {
      const special = target.slice(1).split("^")[0];
      const shown = label || (["here", "channel", "everyone"].includes(special) ? "@" + special : special);
      return `<span class="bk-mention">${escapeHtml(unentity(shown))}</span>`;
    }
    const url = unentity(target);
    if (!/^(https?:|mailto:)/i.test(url)) return escapeHtml(unentity(inner));
    return `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(unentity(label || target))}</a>`;
  }

  function splitOnce(text, separator) {
    const at = text.indexOf(separator);
    return at < 0 ? [text, ""] : [text.slice(0, at), text.slice(at + 1)];
  }

  // mrkdwn as HTML: code, links, mentions and emoji are set aside first, so formatting never reaches inside them.
  function mrkdwnHtml(text, ctx) {
    const kept = [];
    const keep = (html) => `\u0000${kept.push(html) - 1}\u0000`;
    // A quote is a ">" Slack received as such; a member's own "&gt;" at a line's start is text.
    let out = text
      .replace(/^>[ ]?/gm, "\u0001")
      .replace(/```([\s\S]*?)```/g, (_, code) => keep(`<pre class="bk-pre">${escapeHtml(unentity(code))}</pre>`))
      .replace(/`([^`\n]+)`/g, (_, code) => keep(`<code class="bk-code">${escapeHtml(unentity(code))}</code>`))
      .replace(/<([^<>\n]+)>/g, (_, inner) => keep(link(inner, ctx)))
      .replace(/:([a-z0-9_+-]+):/g, (whole, name) => (name in EMOJI ? keep(EMOJI[name]) : whole));
    out = escapeHtml(unentity(out));
    const around = (mark, tag) => {
      const m = mark.replace(/[*~]/g, "\\$&");
      const pattern = new RegExp(`(?<![\\w${m}])${m}(?=[^\\s${m}])([^${m}\\n]*?[^\\s${m}])${m}(?![\\w${m}])`, "g");
      out = out.replace(pattern, `<${tag}>$1</${tag}>`);
    };
    around("*", "b");
    around("_", "i");
    around("~", "s");
    out = out
      .split("\n")
      .map((line) => (line.startsWith("\u0001") ? `<blockquote>${line.slice(1)}</blockquote>` : line))
      .join("<br>")
      .replace(/<\/blockquote><br><blockquote>/g, "<br>");
    for (let i = 0; i < 3 && out.includes("\u0000"); i++) {
      out = out.replace(/\u0000(\d+)\u0000/g, (_, n) => kept[Number(n)]);
    }
    return out;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function textObject(obj, ctx, className) {
    const node = el("div", className);
    if (!obj) return node;
    if (obj.type === "mrkdwn") node.innerHTML = mrkdwnHtml(obj.text || "", ctx);
    else node.innerHTML = escapeHtml(obj.text || "").replace(/:([a-z0-9_+-]+):/g, (w, n) => EMOJI[n] || w);
    return node;
  }

  function button(block, element, ctx) {
    const node = el("button", "bk-button" + (element.style ? " bk-" + element.style : ""));
    node.type = "button";
    node.textContent = (element.text && element.text.text) || "";
    node.dataset.actionId = element.action_id;
    if (element.url) {
      node.addEventListener("click", () => window.open(element.url, "_blank", "noopener"));
    } else if (ctx.onButton) {
      node.addEventListener("click", () => ctx.onButton(block, element, node));
    }
    return node;
  }

  function image(element) {
    const node = el("img", "bk-image");
    node.src = element.image_url || "";
    node.alt = element.alt_text || "";
    return node;
  }

  function options(element) {
    const all = [...(element.options || [])];
    for (const group of element.option_groups || []) all.push(...(group.options || []));
    return all;
  }

  function select(element, ctx, multiple) {
    const node = el("select", "bk-select");
    node.multiple = multiple;
    const placeholder = element.placeholder ? element.placeholder.text : "Select an item";
    if (!multiple) node.append(new Option(placeholder, ""));
    const type = element.type;
    if (type.includes("users_select")) {
      const chosen = new Set([element.initial_user, ...(element.initial_users || [])]);
      for (const member of ctx.members || []) {
        node.append(new Option(member.real_name, member.id, false, chosen.has(member.id)));
      }
    } else {
      const chosen = new Set([element.initial_option, ...(element.initial_options || [])].filter(Boolean).map((o) => o.value));
      for (const option of options(element)) {
        node.append(new Option(option.text.text, option.value, false, chosen.has(option.value)));
      }
    }
    return node;
  }

  // An interactive input element; its current value is read back by BlockKit.state(form).
  function inputElement(element, ctx) {
    let node;
    switch (element.type) {
      case "plain_text_input":
      case "email_text_input":
      case "url_text_input":
      case "number_input":
        node = element.multiline ? el("textarea", "bk-text") : el("input", "bk-text");
        if (!element.multiline) node.type = { email_text_input: "email", url_text_input: "url", number_input: "number" }[element.type] || "text";
        if (element.initial_value !== undefined) node.value = element.initial_value;
        if (element.placeholder) node.placeholder = element.placeholder.text;
        if (element.max_length) node.maxLength = element.max_length;
        break;
      case "datepicker":
        node = el("input", "bk-date");
        node.type = "date";
        if (element.initial_date) node.value = element.initial_date;
        break;
      case "timepicker":
        node = el("input", "bk-time");
        node.type = "time";
        if (element.initial_time) node.value = element.initial_time;
        break;
      case "static_select":
      case "users_select":
        node = select(element, ctx, false);
        break;
      case "multi_static_select":
      case "multi_users_select":
        node = select(element, ctx, true);
        break;
      default:
        return el("div", "bk-unsupported", `(${element.type} is not drawn here)`);
    }
    node.dataset.actionId = element.action_id;
    node.dataset.kind = element.type;
    return node;
  }

  function section(block, ctx) {
    const node = el("div", "bk-section");
    const body = el("div", "bk-section-body");
    if (block.text) body.append(textObject(block.text, ctx, "bk-text-block"));
    if (block.fields) {
      const fields = el("div", "bk-fields");
      for (const field of block.fields) fields.append(textObject(field, ctx, "bk-field"));
      body.append(fields);
    }
    node.append(body);
    if (block.accessory) {
      const accessory = el("div", "bk-accessory");
      const element = block.accessory;
      if (element.type === "button") accessory.append(button(block, element, ctx));
      else if (element.type === "image") accessory.append(image(element));
      else accessory.append(inputElement(element, ctx));
      node.append(accessory);
    }
    return node;
  }

  function input(block, ctx) {
    const node = el("div", "bk-input");
    node.dataset.blockId = block.block_id;
    const label = el("label", "bk-label");
    label.textContent = block.label ? block.label.text : "";
    if (block.optional) label.append(el("span", "bk-optional", " (optional)"));
    const field = inputElement(block.element, ctx);
    field.id = `input-${block.block_id}`;
    label.htmlFor = field.id;
    node.append(label, field);
    if (block.hint) node.append(el("div", "bk-hint", block.hint.text));
    const error = ctx.errors && ctx.errors[block.block_id];
    if (error) {
      node.classList.add("bk-has-error");
      node.append(el("div", "bk-error", error));
    }
    return node;
  }

  function block(b, ctx) {
    switch (b.type) {
      case "header":
        return textObject(b.text, ctx, "bk-header");
      case "section":
        return section(b, ctx);
      case "divider":
        return el("hr", "bk-divider");
      case "context": {
        const node = el("div", "bk-context");
        for (const element of b.elements || []) {
          node.append(element.type === "image" ? image(element) : textObject(element, ctx, "bk-context-item"));
        }
        return node;
      }
      case "image": {
        const node = el("figure", "bk-image-block");
        if (b.title) node.append(el("figcaption", "", b.title.text));
        node.append(image(b));
        return node;
      }
      case "actions": {
        const node = el("div", "bk-actions");
        for (const element of b.elements || []) {
          node.append(element.type === "button" ? button(b, element, ctx) : inputElement(element, ctx));
        }
        return node;
      }
      case "input":
        return input(b, ctx);
      default:
        return el("div", "bk-unsupported", `(a ${b.type} block is not drawn here)`);
    }
  }

  function render(blocks, ctx) {
    const node = el("div", "bk-blocks");
    for (const b of blocks || []) {
      const drawn = block(b, ctx || {});
      if (b.block_id) drawn.dataset.blockId = b.block_id;
      node.append(drawn);
    }
    return node;
  }

  // What the member gave, as Slack's view.state.values; the labels of required inputs left empty.
  function state(container, blocks) {
    const values = {};
    const missing = [];
    for (const b of blocks || []) {
      if (b.type !== "input") continue;
      const field = container.querySelector(`#input-${CSS.escape(b.block_id)}`);
      const element = b.element;
      const value = field ? readValue(field, element.type) : null;
      const empty = value === null || value === "" || (Array.isArray(value) && value.length === 0);
      if (empty && !b.optional) missing.push(b.block_id);
      values[b.block_id] = { [element.action_id]: stateOf(element, value, empty) };
    }
    return { values, missing };
  }

  function readValue(field, type) {
    if (field.multiple) return [...field.selectedOptions].map((o) => o.value);
    return field.value;
  }

  function stateOf(element, value, empty) {
    const type = element.type;
    const entry = { type };
    if (type === "datepicker") entry.selected_date = empty ? null : value;
    else if (type === "timepicker") entry.selected_time = empty ? null : value;
    else if (type === "users_select") entry.selected_user = empty ? null : value;
    else if (type === "multi_users_select") entry.selected_users = value || [];
    else if (type === "static_select") entry.selected_option = empty ? null : options(element).find((o) => o.value === value) || null;
    else if (type === "multi_static_select") entry.selected_options = options(element).filter((o) => (value || []).includes(o.value));
    else entry.value = empty ? null : value;
    return entry;
  }

  window.BlockKit = { render, state, mrkdwnHtml, escapeHtml, EMOJI };
})();
