// The preview's rendered files: a file's outline is fetched when it is opened, and a
// section's text when the section is opened (preview_files.py answers both in JSON).
"use strict";

function previewSection(src, item) {
  const details = document.createElement("details");
  details.className = "file-section";
  details.dataset.sectionSrc = src + "/" + item.index;
  const summary = document.createElement("summary");
  summary.textContent = item.title + " ";
  const where = document.createElement("span");
  where.className = "muted small";
  where.textContent = "line " + item.first_line + ", " + item.lines + " lines";
  summary.appendChild(where);
  details.appendChild(summary);
  details.addEventListener("toggle", () => {
    if (!details.open || details.dataset.loaded) return;
    details.dataset.loaded = "1";
    const pre = document.createElement("pre");
    pre.textContent = "Loading…";
    details.appendChild(pre);
    fetch(details.dataset.sectionSrc, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((answer) => { pre.textContent = answer.error || answer.text; })
      .catch((e) => { pre.textContent = "Could not load this section: " + e; });
  });
  return details;
}

function previewOutline(file, offset) {
  const src = file.dataset.outlineSrc;
  const body = file.querySelector(".outline");
  fetch(src + "?offset=" + offset, { credentials: "same-origin" })
    .then((r) => r.json())
    .then((answer) => {
      if (offset === 0) body.textContent = "";
      const more = body.querySelector("button.more-sections");
      if (more) more.remove();
      if (answer.error) {
        body.textContent = answer.error;
        return;
      }
      answer.sections.forEach((item) => body.appendChild(previewSection(src, item)));
      if (answer.next !== null) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "more-sections";
        button.textContent = "More sections (" + answer.next + " of " + answer.total + " shown)";
        button.addEventListener("click", () => previewOutline(file, answer.next));
        body.appendChild(button);
      }
    })
    .catch((e) => { body.textContent = "Could not load the sections: " + e; });
}

document.querySelectorAll("details.rendered-file[data-outline-src]").forEach((file) => {
  file.addEventListener("toggle", () => {
    if (!file.open || file.dataset.loaded) return;
    file.dataset.loaded = "1";
    previewOutline(file, 0);
  });
});
