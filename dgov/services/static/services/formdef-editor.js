// The application form editor's live preview: re-draws the pages as the JSON changes (the server checks the
// definition on "Check and preview" and on saving; this only shows what the JSON says). No innerHTML: labels
// are text.
(function () {
  var area = document.getElementById("id_definition");
  var box = document.getElementById("formdef-preview");
  var status = document.getElementById("formdef-live-status");
  if (!area || !box) { return; }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function draw(def) {
    var pages = (def && Array.isArray(def.pages)) ? def.pages : [];
    while (box.firstChild) { box.removeChild(box.firstChild); }
    pages.forEach(function (page, i) {
      var card = el("div", "formdef-page");
      card.appendChild(el("p", "small text-body-secondary mb-1", box.dataset.page.replace("%n", String(i + 1))));
      card.appendChild(el("h3", "h6", page && page.title));
      ((page && page.fields) || []).forEach(function (field) {
        var row = el("div", "mb-2");
        var label = el("span", "d-block fw-semibold", field && field.label);
        if (field && field.required) {
          label.appendChild(el("span", "small text-body-secondary", " （" + box.dataset.required + "）"));
        }
        row.appendChild(label);
        if (field && field.help) { row.appendChild(el("span", "d-block small text-body-secondary", field.help)); }
        var choices = (field && field.choices) || (field && field.type === "yesno" ?
          [{label: box.dataset.yes}, {label: box.dataset.no}] : null);
        if (choices && choices.length) {
          var list = el("ul", "small mb-0");
          choices.forEach(function (c) { list.appendChild(el("li", null, c && (c.label || c.value))); });
          row.appendChild(list);
        } else {
          row.appendChild(el("span", "d-block border rounded px-2 py-1 text-body-secondary small", field && field.type));
        }
        card.appendChild(row);
      });
      box.appendChild(card);
    });
  }
  // The question builder: appends a page with one question to the JSON (the server checks it on saving).
  var builder = document.getElementById("formdef-builder");
  if (builder) {
    builder.hidden = false;
    var $ = function (id) { return document.getElementById(id); };
    $("qb-add").addEventListener("click", function () {
      var error = $("qb-error");
      error.textContent = "";
      var label = $("qb-label").value.trim();
      if (!label) { error.textContent = error.dataset.needLabel; $("qb-label").focus(); return; }
      var def;
      try { def = JSON.parse(area.value || "{}"); } catch (e) { error.textContent = error.dataset.needJson; return; }
      if (!def || typeof def !== "object" || Array.isArray(def)) { error.textContent = error.dataset.needJson; return; }
      def.version = def.version || 1;
      def.pages = Array.isArray(def.pages) ? def.pages : [];
      var used = {};
      def.pages.forEach(function (p) {
        used[p && p.key] = true;
        ((p && p.fields) || []).forEach(function (f) { used[f && f.key] = true; });
      });
      var fresh = function (prefix) { var n = 1; while (used[prefix + n]) { n += 1; } used[prefix + n] = true; return prefix + n; };
      var type = $("qb-type").value;
      var field = {key: fresh("q"), label: label, type: type, required: $("qb-required").checked};
      if ($("qb-help").value.trim()) { field.help = $("qb-help").value.trim(); }
      if (type === "choice" || type === "multichoice") {
        var names = $("qb-choices").value.split(/[、,，;；\n]+/).map(function (c) { return c.trim(); })
          .filter(function (c) { return c; });
        if (names.length < 2) { error.textContent = error.dataset.needChoices; $("qb-choices").focus(); return; }
        field.choices = names.map(function (c, i) { return {value: "c" + (i + 1), label: c}; });
      }
      def.pages.push({key: fresh("p"), title: $("qb-title").value.trim() || label, fields: [field]});
      area.value = JSON.stringify(def, null, 2);
      draw(def);
      ["qb-title", "qb-label", "qb-help", "qb-choices"].forEach(function (id) { $(id).value = ""; });
      status.textContent = "";
      $("qb-label").focus();
    });
  }
  var timer = null;
  area.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      try {
        draw(JSON.parse(area.value));
        status.textContent = "";
      } catch (e) {
        status.textContent = box.dataset.invalid;
      }
    }, 300);
  });
}());
