// lbctl admin: small progressive enhancements; every page works without them.
"use strict";

function loadStatus(refresh) {
  const card = document.getElementById("live-status");
  if (!card) return;
  const body = document.getElementById("status-body");
  const button = document.getElementById("status-refresh");
  button.disabled = true;
  button.textContent = "Refreshing…";
  fetch(card.dataset.src + (refresh ? "?refresh=1" : ""), { credentials: "same-origin" })
    .then((r) => (r.ok ? r.text() : Promise.reject(new Error("HTTP " + r.status))))
    .then((html) => { body.innerHTML = html; })
    .catch((e) => { body.textContent = "Status could not be loaded: " + e.message; })
    .finally(() => { button.disabled = false; button.textContent = "Refresh"; });
}

// Cards with data-fragment-src fill their .fragment-body after the page loads (drift).
function loadFragments() {
  document.querySelectorAll("[data-fragment-src]").forEach((card) => {
    const body = card.querySelector(".fragment-body");
    fetch(card.dataset.fragmentSrc, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error("HTTP " + r.status))))
      .then((html) => { body.innerHTML = html; })
      .catch((e) => { body.textContent = "Could not be loaded: " + e.message; });
  });
}

function setupTabs() {
  const tabs = Array.from(document.querySelectorAll(".tabs .tab"));
  if (!tabs.length) return;
  const show = (id) => {
    tabs.forEach((t) => t.classList.toggle("active", t.dataset.tab === id));
    document.querySelectorAll(".tab-panel").forEach((p) => { p.hidden = p.id !== id; });
  };
  tabs.forEach((t) => t.addEventListener("click", (e) => { e.preventDefault(); show(t.dataset.tab); }));
  show(tabs[0].dataset.tab);
}

function cell(row, text, className) {
  const td = row.insertCell();
  if (className) {
    const span = document.createElement("span");
    span.className = className;
    span.textContent = text;
    td.appendChild(span);
  } else {
    td.textContent = text;
  }
  return td;
}

function followDeployment() {
  const log = document.getElementById("deploy-log");
  if (!log || log.dataset.finished) return;
  const rows = document.getElementById("deploy-events");
  let after = Number(log.dataset.after || 0);
  const poll = () => {
    fetch(log.dataset.src + "?after=" + after, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((data) => {
        data.events.forEach((e) => {
          const row = rows.insertRow();
          row.className = "ev-" + e.kind;
          cell(row, e.at); cell(row, e.host); cell(row, e.task);
          cell(row, e.kind, "badge " + e.kind);
          cell(row, e.message).className = "mono small";
          after = e.seq;
        });
        const state = document.getElementById("deploy-state");
        state.textContent = data.state;
        state.className = "badge " + data.state;
        if (data.finished) {
          window.location.reload();  // the page then shows the per-host results
        } else {
          setTimeout(poll, 500);
        }
      })
      .catch(() => setTimeout(poll, 2000));
  };
  setTimeout(poll, 500);
}

function setupConfirms() {
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (e) => {
      if (!window.confirm(form.dataset.confirm)) e.preventDefault();
    });
  });
}

function setupCopy() {
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    button.addEventListener("click", () => {
      const input = document.getElementById(button.dataset.copy);
      input.select();
      const done = () => { button.textContent = "Copied"; };
      if (navigator.clipboard) {
        navigator.clipboard.writeText(input.value).then(done, () => document.execCommand("copy") && done());
      } else if (document.execCommand("copy")) {
        done();
      }
    });
  });
}

// Fields that only apply to one type (http-only health check fields) follow the type select.
function setupShownWhen() {
  document.querySelectorAll("[data-shown-when]").forEach((field) => {
    const [name, wanted] = field.dataset.shownWhen.split("=");
    const select = field.closest("form").querySelector(`[name="${name}"]`);
    if (!select) return;
    const update = () => { field.hidden = select.value !== wanted; };
    select.addEventListener("change", update);
    update();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const refresh = document.getElementById("status-refresh");
  if (refresh) {
    refresh.addEventListener("click", () => loadStatus(true));
    loadStatus(false);
  }
  loadFragments();
  setupTabs();
  followDeployment();
  setupConfirms();
  setupCopy();
  setupShownWhen();
});
