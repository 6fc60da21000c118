// safeplan's additions to Decap CMS (loaded by admin/index.html after decap-cms.js).
// Saving a change to an approved (现行) document bumps its version x.y → x.(y+1) and appends a revision
// record from the two form fields edit_reason and edit_summary (config.yml adds them to every workflow
// collection), so the change passes `safeplan check` the first time. The two fields never reach the file.
// Saving also writes every nested mapping's keys in the form's order (the files' own order): Decap keeps
// an entry in Immutable Maps, which forget the order of more than eight keys, and sorts only the top level.
// A required mapping left empty in the form is written as {} (Decap leaves it out).
(function () {
  "use strict";
  var REASON = "edit_reason", SUMMARY = "edit_summary";
  var collections = {};
  fetch("config.yml").then(function (response) { return response.text(); }).then(function (text) {
    JSON.parse(text.replace(/^#.*\n/, "")).collections.forEach(function (c) { collections[c.name] = c; });
  });

  function inOrder(map, form) {
    if (!map || typeof map.toOrderedMap !== "function" || typeof map.push === "function") return map;
    var out = map.clear().toOrderedMap();
    form.forEach(function (spec) {
      if (map.has(spec.name)) out = out.set(spec.name, nested(map.get(spec.name), spec));
    });
    map.forEach(function (value, key) { if (!out.has(key)) out = out.set(key, value); });
    return out;
  }

  function nested(value, spec) {
    if (spec.widget === "object") return inOrder(value, spec.fields);
    if (spec.widget === "list" && spec.fields && value && typeof value.map === "function") {
      return value.map(function (item) { return inOrder(item, spec.fields); });
    }
    return value;
  }

  // A required mapping the form left empty (a new plan's applies_to: {} = every school) is absent from
  // Decap's entry data; written as {} it stays what the schema requires.
  function withRequiredMappings(data, form) {
    form.forEach(function (spec) {
      if (spec.widget === "object" && spec.required !== false && !data.get(spec.name)) data = data.set(spec.name, data.clear());
    });
    return data;
  }

  function today() {
    var now = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
  }

  function nextVersion(version) {
    var match = /^([0-9]+)\.([0-9]+)$/.exec(String(version || ""));
    if (!match) throw new Error("版本号“" + version + "”应写成 主版本.次版本，例如 1.0；请先改正版本号再保存。");
    return match[1] + "." + (Number(match[2]) + 1);
  }

  function withRevision(data) {
    var reason = data.get(REASON), summary = String(data.get(SUMMARY) || "").trim();
    data = data.delete(REASON).delete(SUMMARY);
    if (data.get("status") !== "approved" || !data.has("version")) return data;  // drafts and schools: no revision
    var revisions = data.get("revisions") || data.toList().clear();  // Decap's own Immutable List, empty
    var last = revisions.size ? revisions.last() : null;
    // saved again the same day: the revision written at the first save already names the new version
    var ours = last && last.get("date") === today() && last.get("version") === data.get("version");
    if (!reason || summary.length < 2) {
      throw new Error("这是现行（approved）文档：请在表单末尾选择“本次修改的原因”并填写“本次修改的摘要”，保存时会自动升版本号并追加修订记录。");
    }
    var record = data.clear().set("version", ours ? data.get("version") : nextVersion(data.get("version")))
      .set("date", today()).set("reason", reason).set("summary", summary);
    revisions = ours ? revisions.set(revisions.size - 1, record) : revisions.push(record);
    return data.set("version", record.get("version")).set("revisions", revisions);
  }

  window.CMS.registerEventListener({
    name: "preSave",
    handler: function (event) {
      var collection = collections[event.entry.get("collection")];
      var data = withRevision(event.entry.get("data"));
      var form = collection && (collection.files  // a file collection (district.yaml): the file's own form
        ? (collection.files.filter(function (f) { return f.name === event.entry.get("slug"); })[0] || {}).fields
        : collection.fields);
      return form ? inOrder(withRequiredMappings(data, form), form) : data;
    },
  });
})();
