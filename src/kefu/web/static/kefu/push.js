// The push channel: one server-sent-events stream per page (kefu.web.push). Each message is
// re-dispatched on the document as a "kefu:push" event for the page's own scripts (the
// wallboard); the screen pop is handled here: a call ringing at this agent shows a banner, an
// answered call opens its contact screen (unless the page holds a form being filled in, then the
// banner offers the link), and her agent state in the header follows.
(function () {
  var config = document.getElementById("push-config");
  if (!config || !window.EventSource) return;
  var words = JSON.parse(config.textContent);
  var dirty = false;
  document.addEventListener("input", function (e) { if (e.target.closest("form")) dirty = true; });
  function banner(text, href) {
    var box = document.getElementById("screen-pop");
    if (!box) {
      box = document.createElement("div");
      box.id = "screen-pop";
      box.className = "screen-pop";
      box.setAttribute("role", "alert");
      document.body.appendChild(box);
    }
    box.textContent = text;
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = words.open;
      box.appendChild(document.createTextNode(" "));
      box.appendChild(a);
    }
  }
  var source = new EventSource(words.url);
  function on(type, handler) {
    source.addEventListener(type, function (e) {
      var data = JSON.parse(e.data);
      handler(data);
      document.dispatchEvent(new CustomEvent("kefu:push", {detail: data}));
    });
  }
  on("ringing", function (d) {
    banner(words.ringing.replace("%(caller)s", d.caller).replace("%(customer)s", d.customer || words.unknown));
  });
  on("screen_pop", function (d) {
    if (dirty) { banner(words.answered, d.url); return; }
    window.location.assign(d.url);
  });
  on("agent_state", function (d) {
    var label = document.getElementById("agent-state-label");
    if (label) label.textContent = d.label;
    var dot = document.getElementById("agent-state-dot");
    if (dot) dot.className = "dot dot-" + d.state;
  });
  on("ready", function () { document.documentElement.dataset.push = "ready"; });
  on("calls", function () {});
  on("agents", function () {});
  window.kefuPush = source;  // for the browser tests and the screen-pop bench
})();
