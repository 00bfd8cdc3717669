// The questionnaire editor's rows (kefu.web.surveys): add a question, remove one, move one up or
// down. Each row's inputs are named by the row's key (type-3, text-3, …) and the hidden "row"
// inputs give the order, so moving a row renames nothing. Without script the page still works:
// the empty last row takes one new question per save.
(function () {
  function rows(body) { return Array.prototype.slice.call(body.querySelectorAll("[data-question-row]")); }
  function renumber(body) {
    rows(body).forEach(function (row, i) {
      row.querySelector("[data-position]").textContent = String(i + 1);
      row.querySelector("[data-move='-1']").disabled = i === 0;
      row.querySelector("[data-move='1']").disabled = i === rows(body).length - 1;
    });
  }
  function nextKey(body) {
    var keys = rows(body).map(function (row) { return parseInt(row.querySelector("input[name=row]").value, 10) || 0; });
    return String(Math.max.apply(null, [0].concat(keys)) + 1);
  }
  function reveal(root) {
    root.querySelectorAll("[data-move], [data-remove-question], [data-add-question]").forEach(function (b) { b.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector(".survey-editor");
    if (!form) return;
    var body = form.querySelector("[data-question-rows]"), template = form.querySelector("[data-question-template]");
    reveal(form);
    renumber(body);
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button || !form.contains(button)) return;
      var row = button.closest("[data-question-row]");
      if (button.hasAttribute("data-add-question")) {
        var html = template.innerHTML.replace(/__key__/g, nextKey(body));
        body.insertAdjacentHTML("beforeend", html);
        var added = rows(body).pop();
        reveal(added);
        renumber(body);
        added.querySelector("textarea").focus();
      } else if (button.hasAttribute("data-remove-question") && row) {
        var focus = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        renumber(body);
        if (focus) focus.querySelector("textarea").focus(); else form.querySelector("[data-add-question]").focus();
      } else if (button.hasAttribute("data-move") && row) {
        var other = button.dataset.move === "-1" ? row.previousElementSibling : row.nextElementSibling;
        if (!other) return;
        if (button.dataset.move === "-1") body.insertBefore(row, other); else body.insertBefore(other, row);
        renumber(body);
        // At the top or the bottom the button is disabled: keep the focus on the row's other move button.
        (button.disabled ? row.querySelector("[data-move='" + (-parseInt(button.dataset.move, 10)) + "']") : button).focus();
      }
    });
  });
})();
