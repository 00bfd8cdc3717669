// The wallboard: its figures are fetched again when the push channel (push.js) says calls or
// agents changed — at most twice a second — and once a minute for the clocks of waits and states.
(function () {
  var box = document.getElementById("wallboard");
  if (!box) return;
  var pending = false, last = 0;
  function reload() {
    if (pending) return;
    var wait = Math.max(0, 500 - (Date.now() - last));
    pending = true;
    setTimeout(function () {
      fetch(box.dataset.refresh, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null) box.innerHTML = html; })
        .finally(function () { pending = false; last = Date.now(); });
    }, wait);
  }
  document.addEventListener("kefu:push", function (e) {
    if (e.detail.type === "calls" || e.detail.type === "agents") reload();
  });
  setInterval(reload, 60000);
})();
