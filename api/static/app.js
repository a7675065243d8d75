// The few things the pages do in the browser; every page works without them.
"use strict";
document.documentElement.classList.add("js");

function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text);
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "offscreen";
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
}

function addAttendee(input) {
  const name = input.value.trim();
  const list = document.getElementById(input.dataset.picker);
  if (!name || !list) return;
  const taken = Array.from(list.querySelectorAll("input")).some((box) => box.value === name);
  if (!taken) {
    const item = document.createElement("li");
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "attendee";
    box.value = name;
    box.checked = true;
    label.append(box, " " + name);
    item.append(label);
    list.append(item);
  }
  input.value = "";
  input.focus();
}

document.addEventListener("click", (event) => {
  const copy = event.target.closest("[data-copy]");
  if (copy) {
    const source = document.getElementById(copy.dataset.copy);
    const status = document.getElementById("copy-status");
    copyText(source ? source.textContent : "").then(
      () => { if (status) status.textContent = "Copied: paste it into the invitation."; },
      () => { if (status) status.textContent = "Copying was refused by the browser: select the agenda and copy it."; }
    );
  }
  if (event.target.closest("[data-print]")) window.print();
  const add = event.target.closest("[data-add]");
  if (add) addAttendee(document.getElementById(add.dataset.add));
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target.matches("input[data-picker]") && event.target.value.trim()) {
    event.preventDefault();
    addAttendee(event.target);
  }
});

document.addEventListener("change", (event) => {
  // Picking a suggestion from the list adds the person at once.
  const input = event.target;
  if (!input.matches("input[data-picker]") || !input.list) return;
  if (Array.from(input.list.options).some((o) => o.value === input.value)) addAttendee(input);
});

function fitFrame(frame) {
  try {
    const doc = frame.contentDocument;
    if (doc && doc.documentElement) frame.style.height = doc.documentElement.scrollHeight + 16 + "px";
  } catch (error) { /* another origin: keep the default height */ }
}

document.querySelectorAll("iframe.digest").forEach((frame) => {
  frame.addEventListener("load", () => fitFrame(frame));
  if (frame.contentDocument && frame.contentDocument.readyState === "complete") fitFrame(frame);
});
