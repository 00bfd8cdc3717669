// Live SLA countdowns: every element with data-due (and data-warn) shows the time left and
// takes the colour of its state. Scanning each second also covers rows HTMX swaps in. The words
// (units, "left") come from the page (sla-words, from kefu.sla.labels), as the server words them:
// at most two units, biggest first, no sign (the state word says overdue).
(function () {
  var words = null;
  function unit(name, n) {
    var forms = words[name] || ["%(n)s " + name, "%(n)s " + name + "s"];
    return (n === 1 ? forms[0] : forms[1]).replace("%(n)s", String(n));
  }
  function fmt(ms) {
    var s = Math.floor(Math.abs(ms) / 1000), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    var parts = d ? [unit("day", d)].concat(h ? [unit("hour", h)] : [])
      : h ? [unit("hour", h)].concat(m ? [unit("minute", m)] : [])
        : m ? [unit("minute", m)] : [unit("second", s)];
    var span = parts.length === 2 ? (words.pair || "%(bigger)s %(smaller)s").replace("%(bigger)s", parts[0]).replace("%(smaller)s", parts[1]) : parts[0];
    return ms < 0 ? span : (words.left || "%(time)s left").replace("%(time)s", span);
  }
  var labels = null;
  function tick() {
    var now = Date.now();
    if (labels === null) {
      var node = document.getElementById("sla-labels");
      labels = node ? JSON.parse(node.textContent) : {};
      var wordsNode = document.getElementById("sla-words");
      words = wordsNode ? JSON.parse(wordsNode.textContent) : {};
    }
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var due = Date.parse(el.dataset.due), warn = el.dataset.warn ? Date.parse(el.dataset.warn) : due;
      var state = now > due ? "breached" : now >= warn ? "warning" : "on_track";
      el.className = "sla sla-" + state;
      var left = el.querySelector(".left"), said = el.querySelector(".state");
      if (left) left.textContent = fmt(due - now);
      if (said && labels[state]) said.textContent = labels[state];
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 1000); });
})();


// A triage suggestion fills the new-order form in one click; the agent may still change it.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-fill]");
  if (!button) return;
  event.preventDefault();
  var form = button.closest("form"), values = JSON.parse(button.dataset.fill);
  Object.keys(values).forEach(function (name) {
    var field = form.elements[name];
    if (field && values[name] !== null) field.value = String(values[name]);
  });
  var first = form.elements.kind;
  if (first) first.focus();
});

// A standard service phrase (服务用语) chosen from a list goes into the note being written.
document.addEventListener("change", function (event) {
  var select = event.target.closest("select[data-insert-into]");
  if (!select || !select.value) return;
  var target = document.getElementById(select.dataset.insertInto);
  target.value = (target.value ? target.value + "\n" : "") + select.value;
  select.value = "";
  target.focus();
});

// A header drop-down (the status control) closes on a click elsewhere or on Escape, as menus do.
(function () {
  function closeAll(except) {
    document.querySelectorAll("details.drop[open]").forEach(function (d) { if (d !== except) d.open = false; });
  }
  document.addEventListener("click", function (event) { closeAll(event.target.closest("details.drop")); });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details.drop[open]");
    if (open) { open.open = false; open.querySelector("summary").focus(); }
  });
})();
